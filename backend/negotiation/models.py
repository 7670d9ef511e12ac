"""Negotiations with a customer about a delivery, and the consent records their answers are.

Fields and constraints only; every write goes through ``backend.negotiation.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.common.model_fields import unchecked_ref
from backend.couriers.models import Station
from backend.negotiation.states import Channel, Decision, ExceptionKind, NegotiationState, Trigger
from backend.shipments.models import Job, Shipment


class Negotiation(models.Model):
    """One question put to the customer about one job, and its outcome.

    ``options`` is the list offered, each exactly as it was shown: ``{"key", "kind", "text":
    {"zh", "en"}, "window_start", "window_end", …}``. At most one negotiation per job is open
    (``offered``) at a time: offering a new one supersedes the old one (a database constraint).
    """

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="+", db_index=False)
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+", db_index=False)
    state = models.CharField(
        max_length=12, choices=NegotiationState.choices, default=NegotiationState.OFFERED
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    reason_code = models.CharField(max_length=24, blank=True)  # of the failed attempt that opened it
    attempt_number = models.PositiveSmallIntegerField(null=True, blank=True)  # that attempt's number
    options = models.JSONField(default=list)
    deadline = models.DateTimeField()
    default_key = models.CharField(max_length=16)  # the option applied when nobody answers
    chosen_key = models.CharField(max_length=16, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["job"],
                condition=models.Q(state="offered"),
                name="negotiation_one_open_per_job",
            ),
            # A failed attempt opens one negotiation, however often its follow-up task runs.
            models.UniqueConstraint(
                fields=["job", "attempt_number"],
                condition=models.Q(attempt_number__isnull=False),
                name="negotiation_one_per_failed_attempt",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "deadline"], name="negotiation_open_deadline"),
            models.Index(fields=["shipment", "created_at"], name="negotiation_shipment"),
        ]

    def __str__(self) -> str:
        return f"negotiation #{self.pk} ({self.state}) for job {self.job_id}"

    def option(self, key: str) -> dict[str, object] | None:
        return next((o for o in self.options if o.get("key") == key), None)


class Consent(models.Model):
    """The customer's answer as evidence: what was shown, in which language, when, how, by whom.

    One per negotiation (a second answer finds this row and is told the result).
    """

    negotiation = models.OneToOneField(Negotiation, on_delete=models.PROTECT, related_name="consent")
    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="+", db_index=False)
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="+", db_index=False)
    option_key = models.CharField(max_length=16)
    option_kind = models.CharField(max_length=16)
    language = models.CharField(max_length=8)
    shown_text = models.CharField(max_length=300)  # the option's text in that language, verbatim
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    link_id = models.CharField(max_length=64, blank=True)  # the link it came through (channel "link")
    actor = models.ForeignKey(  # staff who recorded it (a courier's call); none for the customer's page
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_by = models.CharField(max_length=64, blank=True)  # who agreed, when not the recipient
    answered_at = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"consent #{self.pk} to {self.option_kind} ({self.channel})"


class NegotiationEvent(models.Model):
    """An append-only fact about a negotiation: offered, answered, expired, superseded, cancelled."""

    negotiation = models.ForeignKey(Negotiation, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16)
    actor = unchecked_ref(settings.AUTH_USER_MODEL)
    at = models.DateTimeField()
    details = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} of negotiation {self.negotiation_id}"


class PickupHold(models.Model):
    """A parcel the customer chose to collect at the station, and its 6-digit pickup code.

    The code itself is never stored: it is derived from ``secret`` with the server's key
    (``backend.negotiation.pickup_codes``), so neither the database, the feeds nor the logs hold
    it. Wrong codes at the counter count in ``failed_attempts``; at the limit the hold is locked
    (``locked_at``) until a supervisor unlocks it.
    """

    consent = models.OneToOneField(Consent, on_delete=models.PROTECT, related_name="pickup_hold")
    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+", db_index=False)
    secret = models.CharField(max_length=32)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"pickup hold #{self.pk} for job {self.job_id}"


class SupervisorException(models.Model):
    """Something a customer's answer needs a supervisor to decide (the console's exceptions queue):
    a redirect outside the station's area (a transfer), a return to sender to confirm, a pickup code
    locked after wrong attempts. Open while ``resolved_at`` is empty; resolved through
    ``negotiation.services.supervisor_exception_resolve``.
    """

    kind = models.CharField(max_length=24, choices=ExceptionKind.choices)
    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="+", db_index=False)
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+", db_index=False)
    negotiation = models.ForeignKey(
        Negotiation, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    resolution_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            # One open exception of a kind per job: a second trigger finds the first.
            models.UniqueConstraint(
                fields=["job", "kind"],
                condition=models.Q(resolved_at__isnull=True),
                name="supervisor_exception_one_open_per_job_kind",
            ),
        ]
        indexes = [
            models.Index(
                fields=["station", "created_at"],
                condition=models.Q(resolved_at__isnull=True),
                name="supervisor_exception_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for job {self.job_id} ({'open' if self.resolved_at is None else self.decision})"
