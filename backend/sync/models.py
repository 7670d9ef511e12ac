"""Offline sync: the op log, each device's sequence state, attachments and reference data.

Fields and constraints only; writes live in ``backend.sync.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from backend.couriers.models import Courier
from backend.shipments.models import Job


class Outcome(models.TextChoices):
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"


class AppliedOp(models.Model):
    """One op a device pushed, claimed by its op id in the same transaction as its effect.

    ``result`` is what the device was told; a replay of the same op id gets it back unchanged.
    Few columns and one index on purpose: station scans insert thousands of these a second.
    """

    op_id = models.UUIDField(unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    device_id = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16)
    payload_hash = models.CharField(max_length=64)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    code = models.CharField(max_length=40, blank=True)
    result = models.JSONField(default=dict, blank=True)
    event_at = models.DateTimeField()
    received_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind} {self.op_id} {self.outcome}"


class DeviceState(models.Model):
    """Per device: the highest sequence number seen, the holes below it, and the last position."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    device_id = models.CharField(max_length=64)
    max_seq = models.PositiveBigIntegerField(default=0)
    gaps = models.JSONField(default=list, blank=True)  # [[first, last], …] inclusive, oldest first
    last_push_at = models.DateTimeField(null=True, blank=True)
    clock_offset_s = models.IntegerField(null=True, blank=True)  # device clock minus ours at its last push
    last_lat = models.FloatField(null=True, blank=True)
    last_lng = models.FloatField(null=True, blank=True)
    last_accuracy_m = models.FloatField(null=True, blank=True)
    last_fix_at = models.DateTimeField(null=True, blank=True)
    # Per recent push: [highest seq in it, latest event_at of its ops]. An op is judged never to
    # have happened before ops the device recorded earlier (lower seq): a back-dated event_at on a
    # later op is seen for what it is (backend/shipments/services/offline.py).
    seq_marks = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "device_id"], name="device_state_per_user_device")
        ]

    def __str__(self) -> str:
        return f"{self.device_id} at seq {self.max_seq}"


class CallLog(models.Model):
    """A courier's call to the customer of a job, as logged by the handheld."""

    op_id = models.UUIDField(unique=True)
    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="+")
    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="+")
    called_at = models.DateTimeField()
    duration_s = models.PositiveIntegerField()
    outcome = models.CharField(max_length=16)

    def __str__(self) -> str:
        return f"call for job {self.job_id}"


class Attachment(models.Model):
    """A signature or photo, addressed by the SHA-256 of its bytes (so it is stored once)."""

    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=32)
    received = models.PositiveIntegerField(default=0)
    complete = models.BooleanField(default=False)
    # None: a photo received whole from a customer's complaint form (no account, no upload in progress).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    # The last byte received (or the announcement): an upload idle past the abandon time is dropped.
    touched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # An upload in progress is its uploader's: one per user and hash, none shared.
            models.UniqueConstraint(fields=["sha256", "created_by"], name="attachment_upload_per_user"),
            # Stored once: the first copy to complete serves everyone.
            models.UniqueConstraint(
                fields=["sha256"], condition=models.Q(complete=True), name="attachment_complete_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_by"], name="attachment_open_by_user", condition=models.Q(complete=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sha256[:12]}… {self.received}/{self.size}"


class AttachmentChunk(models.Model):
    """Bytes received so far, kept in the database so a chunk and the resume point commit together."""

    attachment = models.ForeignKey(Attachment, on_delete=models.CASCADE, related_name="chunks")
    offset = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attachment", "offset"], name="chunk_offset_unique")]

    def __str__(self) -> str:
        return f"chunk @{self.offset} of {self.attachment_id}"


class AttachmentRef(models.Model):
    """An op that named an attachment (a proof's signature, a failed attempt's photo)."""

    sha256 = models.CharField(max_length=64, db_index=True)
    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="+")
    op_id = models.UUIDField()
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    # When the op named it: a proof still without its bytes hours later is a supervisor's exception.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["op_id", "sha256"], name="attachment_ref_unique")]

    def __str__(self) -> str:
        return f"{self.sha256[:12]}… for job {self.job_id}"


class ReferenceData(models.Model):
    """Lists a handheld keeps offline (the tariff book, reason codes), each with a version."""

    name = models.CharField(max_length=32, primary_key=True)
    version = models.CharField(max_length=64)
    data = models.JSONField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"
