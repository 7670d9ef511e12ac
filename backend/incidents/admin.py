"""The playbooks are edited here; incidents and disruptions are shown read-only (they change
through their services: the REST endpoints and the console)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from backend.incidents.models import Disruption, Incident, Playbook
from backend.incidents.states import Evidence, Resolution


class PlaybookForm(forms.ModelForm[Playbook]):
    """A playbook names evidence and resolutions by code: a typo would silently ask for nothing."""

    class Meta:
        model = Playbook
        fields = [
            "incident_type",
            "required_evidence",
            "notify_supervisor",
            "notify_customer",
            "acknowledge_hours",
            "decide_hours",
            "legal_working_days",
            "alarm_working_day",
            "manager_after_hours",
            "allowed_resolutions",
        ]

    def clean_required_evidence(self) -> list[str]:
        return _codes(self.cleaned_data["required_evidence"], Evidence.values, "evidence")

    def clean_allowed_resolutions(self) -> list[str]:
        codes = _codes(self.cleaned_data["allowed_resolutions"], Resolution.values, "resolution")
        if not codes:
            raise ValidationError("allow at least one resolution")
        return codes

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        alarm, legal = data.get("alarm_working_day"), data.get("legal_working_days")
        if alarm is not None and legal is not None and not 1 <= alarm <= legal:
            raise ValidationError("the alarm day must fall within the legal working days")
        return data


def _codes(value: object, allowed: list[str], what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"a list of {what} codes: {allowed}")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise ValidationError(f"unknown {what} {unknown}; use {allowed}")
    return list(dict.fromkeys(value))


@admin.register(Playbook)
class PlaybookAdmin(admin.ModelAdmin[Playbook]):
    form = PlaybookForm
    list_display = (
        "incident_type",
        "acknowledge_hours",
        "decide_hours",
        "alarm_working_day",
        "legal_working_days",
        "manager_after_hours",
        "notify_customer",
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # every type needs its playbook (the engine refuses an incident without one)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("incident_type",) if obj is not None else ()


class ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnly):
    list_display = (
        "pk",
        "station",
        "incident_type",
        "source",
        "state",
        "escalation",
        "manager_escalated_at",
        "raised_at",
    )
    list_filter = ("incident_type", "state", "source", ("manager_escalated_at", admin.EmptyFieldListFilter))


@admin.register(Disruption)
class DisruptionAdmin(ReadOnly):
    list_display = ("pk", "station", "kind", "level", "declared_at", "lifted_at")
