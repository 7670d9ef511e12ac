"""Station managers (站长): staff who run one or more stations. Fields only; writes live in
``backend.stations.services.managers``.

A station manager does at their stations what a supervisor does (``accounts.roles`` gives them the
supervisor role there) and, on top, opens stations and manages those stations' staff, zones and
tariff book in the admin. The incident playbooks escalate to them (docs/incidents.md).

The role is a one-to-one on the user, like a courier's or a supervisor's, so the API's token read
joins it in the same statement (``accounts.token_lookup``); the stations are a separate table with
who granted each and when, because a manager's scope changes over time and access is audited.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.couriers.models import Station


class StationManager(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="station_manager"
    )
    name = models.CharField(max_length=64)
    # E.164: escalations are texted here through the notification gateway (notify.services).
    phone = models.CharField(max_length=20)
    stations = models.ManyToManyField(Station, through="ManagedStation", related_name="managers")

    def __str__(self) -> str:
        return f"{self.name} (station manager)"


class ManagedStation(models.Model):
    """One station a manager runs: granted by ``manager_grant``, deleted by ``manager_revoke``."""

    manager = models.ForeignKey(StationManager, on_delete=models.CASCADE, related_name="grants")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["manager", "station"], name="managed_station_once"),
        ]

    def __str__(self) -> str:
        return f"{self.manager.name} @ {self.station.code}"
