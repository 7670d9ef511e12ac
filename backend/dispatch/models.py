"""Dispatch's own records: why each job went where it went, each planning run, alerts, debounce.

Fields and constraints only; writes live in ``backend.dispatch.services``. Jobs themselves are
never written here: the assignment and the plan of a job go through ``backend.shipments.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.couriers.models import Courier, Station
from backend.shipments.models import Job


class DecisionKind(models.TextChoices):
    AUTO = "auto", "Automatic"
    SUPERVISOR = "supervisor", "Supervisor"


class DecisionRule(models.TextChoices):
    TERRITORY = "territory", "Territory owner"
    INSERTION = "insertion", "Cheapest feasible insertion"
    STATION_PLAN = "station_plan", "Station plan"
    SUPERVISOR = "supervisor", "Supervisor's choice"
    COURIER_UNAVAILABLE = "courier_unavailable", "Courier unavailable"
    QUEUED = "queued", "No feasible courier"


class AssignmentDecision(models.Model):
    """One assignment decision and its reason: the audit trail supervisors read.

    ``courier`` is null when the job was queued for a supervisor. ``added_m``/``added_s`` are what
    the job added to the receiving route (metres driven, seconds later back at the station).
    """

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="assignment_decisions")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    courier = models.ForeignKey(Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    prev_courier = models.ForeignKey(
        Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=DecisionKind.choices)
    rule = models.CharField(max_length=24, choices=DecisionRule.choices)
    reason = models.CharField(max_length=500)
    added_m = models.IntegerField(null=True, blank=True)
    added_s = models.IntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["station", "-created_at"]),
            models.Index(fields=["job", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"job {self.job_id} → {self.courier_id or 'queue'}: {self.reason}"


class PlanRun(models.Model):
    """One planning run: a station's day, or one courier's re-plan (``courier`` set).

    ``diff`` holds the per-courier diff the courier and supervisor see (sequence, moved, added,
    removed, at-risk stops, old/new ETAs); ``outcome`` says whether it was written.
    """

    class Outcome(models.TextChoices):
        APPLIED = "applied", "Applied"
        UNCHANGED = "unchanged", "Nothing to change"
        CONFLICT = "conflict", "A job changed meanwhile; not applied"

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    courier = models.ForeignKey(Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    service_date = models.DateField()
    trigger = models.CharField(max_length=200)
    seed = models.IntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    cost_before = models.BigIntegerField(null=True, blank=True)
    cost_after = models.BigIntegerField(null=True, blank=True)
    reordered = models.BooleanField(default=False)
    applied = models.BooleanField(default=False)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, default=Outcome.UNCHANGED)
    jobs_written = models.PositiveIntegerField(default=0)
    diff = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["courier", "-started_at"]),
            models.Index(fields=["station", "-started_at"]),
        ]

    def __str__(self) -> str:
        return f"plan run {self.pk} ({self.trigger})"


class AlertKind(models.TextChoices):
    UNASSIGNABLE = "unassignable", "No courier can take this job"
    AT_RISK = "at_risk", "The route cannot meet this job's window any more"


class DispatchAlert(models.Model):
    """Something a supervisor must look at. Open while ``resolved_at`` is null; one open per job and kind."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="dispatch_alerts")
    courier = models.ForeignKey(Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["job", "kind"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_alert_per_job_kind",
            )
        ]
        indexes = [models.Index(fields=["station", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.kind} job {self.job_id}"


class ReplanState(models.Model):
    """The debounce of a courier's re-plan (see docs/dispatch.md §Debounce).

    ``due_at`` set means a run is scheduled for that time and later triggers only add their name
    to ``triggers``. ``generation`` names the scheduled run: the task carries it, and a task whose
    generation is not the row's (already run, or superseded) does nothing — safe to run twice.
    """

    courier = models.OneToOneField(Courier, on_delete=models.CASCADE, primary_key=True, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    generation = models.PositiveBigIntegerField(default=0)
    triggers = models.JSONField(default=list, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"replan state of courier {self.courier_id}"
