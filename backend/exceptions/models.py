"""A supervisor's decisions about exceptions, and the audit of every unmasked contact detail.

Fields and constraints only; writes live in ``backend.exceptions.services``. The exceptions
themselves are not rows: each is computed from the facts (``sources``), and a resolution names
the one it closes by its kind and subject key.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.couriers.models import Station
from backend.exceptions.kinds import ExceptionKind, RevealField
from backend.shipments.models import Shipment


class ExceptionResolution(models.Model):
    """One exception closed by a supervisor, with the reason.

    ``subject`` identifies the occurrence, not only the thing: a parcel that goes stale again
    after a new scan has a new subject (it names the last event), so it comes back to the queue.
    """

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(max_length=24, choices=ExceptionKind.choices)
    subject = models.CharField(max_length=80)
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["station", "kind", "subject"], name="exception_resolved_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} resolved"


class ContactReveal(models.Model):
    """Who saw which full contact detail of which shipment, when and why."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+", db_index=False)
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="+")
    field = models.CharField(max_length=24, choices=RevealField.choices)
    reason = models.CharField(max_length=500)
    revealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revealed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["station", "-revealed_at"], name="reveal_station_recent")]

    def __str__(self) -> str:
        return f"{self.field} of shipment {self.shipment_id} revealed"
