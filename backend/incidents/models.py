"""Incidents and claims, their playbooks, and disruptions. Fields and constraints only; writes live
in ``backend.incidents.services``.

A playbook is data (one row per incident type, edited in the admin); the engine that runs it is
code (``services/timers.py``). An incident copies its due times from the playbook when it is
raised, so editing a playbook changes the clocks of new incidents, not of running ones.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.couriers.models import Courier, Station, Zone
from backend.incidents.states import (
    DisruptionKind,
    DisruptionLevel,
    Escalation,
    EventKind,
    IncidentState,
    IncidentType,
    LiableParty,
    Resolution,
    Source,
)
from backend.shipments.models import Job, Shipment


class Playbook(models.Model):
    incident_type = models.CharField(max_length=20, choices=IncidentType.choices, unique=True)
    required_evidence = models.JSONField(default=list, blank=True, help_text='e.g. ["photo", "description"]')
    notify_supervisor = models.BooleanField(default=True)
    notify_customer = models.BooleanField(default=True)
    acknowledge_hours = models.PositiveIntegerField(default=2, help_text="working-day hours")
    decide_hours = models.PositiveIntegerField(default=48, help_text="working-day hours")
    legal_working_days = models.PositiveSmallIntegerField(default=7)
    alarm_working_day = models.PositiveSmallIntegerField(default=5)
    manager_after_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="unresolved after these working-day hours: to the station manager"
    )
    allowed_resolutions = models.JSONField(default=list, help_text='e.g. ["found", "compensated", "closed"]')

    def __str__(self) -> str:
        return f"playbook {self.incident_type}"


class Incident(models.Model):
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    incident_type = models.CharField(max_length=20, choices=IncidentType.choices)
    source = models.CharField(max_length=12, choices=Source.choices)
    state = models.CharField(max_length=12, choices=IncidentState.choices, default=IncidentState.OPEN)
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    courier = models.ForeignKey(Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    description = models.CharField(max_length=1000, blank=True)
    photo_sha256 = models.JSONField(default=list, blank=True)
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Once only: a sync op's id, an Idempotency-Key, or a detector's key ("loss:<shipment>:<event>").
    dedupe_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    # The clocks, copied from the playbook when raised (working days, station time zone).
    ack_due = models.DateTimeField()
    decide_due = models.DateTimeField()
    alarm_at = models.DateTimeField()
    legal_due = models.DateTimeField()
    manager_due = models.DateTimeField(null=True, blank=True)
    calendar_known = models.BooleanField(default=True)  # False: a year past the holiday calendar
    # The earliest step not recorded yet (None: resolved, or every step behind it): what the
    # engine's sweep reads, so a run looks only at incidents with something due.
    next_due = models.DateTimeField(null=True, blank=True)
    escalation = models.CharField(max_length=16, choices=Escalation.choices, default="", blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # When the playbook sent it to the station manager (who was texted: the event's ``told``); kept
    # when later steps move ``escalation`` on, so the console can show and filter it.
    manager_escalated_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.CharField(max_length=12, choices=Resolution.choices, blank=True)
    amount_fen = models.PositiveBigIntegerField(null=True, blank=True)
    liable_party = models.CharField(max_length=16, choices=LiableParty.choices, blank=True)
    resolution_note = models.CharField(max_length=500, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["station", "raised_at"],
                name="incident_station_open",
                condition=~models.Q(state="resolved"),
            ),
            models.Index(
                fields=["next_due"], name="incident_next_due", condition=models.Q(next_due__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(resolution="compensated")
                | (models.Q(amount_fen__gt=0) & ~models.Q(liable_party="")),
                name="incident_compensation_has_amount_and_party",
            ),
        ]

    def __str__(self) -> str:
        return f"incident {self.pk} {self.incident_type} ({self.state})"


class IncidentEvent(models.Model):
    """Append-only: what happened to an incident, when, by whom (the claim's file)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} of incident {self.incident_id}"


class Disruption(models.Model):
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=DisruptionKind.choices)
    level = models.PositiveSmallIntegerField(choices=DisruptionLevel.choices)
    zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    address_prefixes = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=500)
    declared_at = models.DateTimeField()
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"disruption {self.pk} level {self.level} ({'lifted' if self.lifted_at else 'active'})"


class DisruptionHold(models.Model):
    """A job a disruption holds; ``released_at`` set when it is lifted."""

    disruption = models.ForeignKey(Disruption, on_delete=models.PROTECT, related_name="holds")
    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="+")
    prev_courier = models.ForeignKey(
        Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    held_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["job"],
                condition=models.Q(released_at=None),
                name="disruption_hold_one_active_per_job",
            )
        ]

    def __str__(self) -> str:
        return f"job {self.job_id} held by disruption {self.disruption_id}"
