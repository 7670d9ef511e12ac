"""Messages sent to a delivery's customer, or to a member of staff (a station manager told of an
escalation). Fields and constraints only; writes go through ``backend.notify.services``."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.notify.states import MessageChannel, MessageStatus
from backend.shipments.models import Job, Shipment


class Message(models.Model):
    """One text to the recipient of a job (or to a staff ``user``), and what became of it.

    The recipient is the job's shipment: its phone number is read when the message is handed to the
    gateway and never stored here, and the text never contains it nor the address (the service
    refuses such a text). ``(job, trigger, occasion)`` is unique — the occasion is the station's
    date of a morning prompt or the negotiation a message is about — so a prompt goes out once
    however often the task that asks for it runs.

    A staff message has a ``user`` instead of a job: the same pipeline (claim, send, retry, the
    provider's report) carries it; its number is the station manager's, read when it is handed over,
    and ``(user, trigger, occasion)`` is unique in the same way (``occasion`` names the incident).
    """

    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    trigger = models.CharField(max_length=16)  # what asked for it: "morning", "failed_attempt", …
    occasion = models.CharField(max_length=32)  # "2026-11-24" (a day) or "n42" (a negotiation)
    reference = models.CharField(max_length=32, unique=True)  # ours, random: sent to the provider
    channel = models.CharField(max_length=8, choices=MessageChannel.choices)
    template = models.CharField(max_length=32)
    language = models.CharField(max_length=8)
    text = models.CharField(max_length=500)  # exactly what was sent
    status = models.CharField(max_length=12, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    backend = models.CharField(max_length=64, blank=True)  # the gateway that accepted it
    provider_id = models.CharField(max_length=128, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    # A sender holds the message until then, so two workers never hand it over at the same time.
    claimed_until = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["job", "trigger", "occasion"], name="message_one_per_job_trigger_occasion"
            ),
            models.UniqueConstraint(
                fields=["user", "trigger", "occasion"],
                condition=models.Q(user__isnull=False),
                name="message_one_per_user_trigger_occasion",
            ),
            # A customer's message (a job and its shipment) or a staff member's (a user): never both.
            models.CheckConstraint(
                condition=models.Q(job__isnull=False, shipment__isnull=False, user__isnull=True)
                | models.Q(job__isnull=True, shipment__isnull=True, user__isnull=False),
                name="message_customer_or_staff",
            ),
        ]
        indexes = [
            # The retry sweep reads the queued messages that are due.
            models.Index(
                fields=["next_attempt_at"],
                name="message_queued_due",
                condition=models.Q(status="queued"),
            ),
        ]

    def __str__(self) -> str:
        whom = f"job {self.job_id}" if self.job_id else f"user {self.user_id}"
        return f"message {self.reference} ({self.status}) for {whom}"
