"""The playbooks are edited here; incidents and disruptions are shown read-only (they change
through their services: the REST endpoints and the console)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from backend.incidents.models import Disruption, Incident, Playbook


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin[Playbook]):
    list_display = (
        "incident_type",
        "acknowledge_hours",
        "decide_hours",
        "alarm_working_day",
        "legal_working_days",
        "manager_after_hours",
        "notify_customer",
    )


class ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnly):
    list_display = ("pk", "station", "incident_type", "source", "state", "escalation", "raised_at")
    list_filter = ("incident_type", "state", "source")


@admin.register(Disruption)
class DisruptionAdmin(ReadOnly):
    list_display = ("pk", "station", "kind", "level", "declared_at", "lifted_at")
