"""Shipments, jobs, tracking events, attempts, proofs, collections and offline conflicts.

Fields and constraints only. Every write goes through ``backend.shipments.services``; nothing
else calls ``save()`` on these models. Units: grams, millimetres, fen; datetimes are aware.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.common.model_fields import unchecked_ref
from backend.couriers.models import Courier, Station
from backend.shipments.states import (
    CollectionKind,
    EventKind,
    JobKind,
    JobStatus,
    NextStep,
    ProofMethod,
    ReasonCode,
    RecipientRelation,
    ServiceLevel,
    ShipmentStatus,
)


class Shipment(models.Model):
    tracking_no = models.CharField(max_length=14, unique=True)
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.CREATED)
    # db_index=False on foreign keys whose own index is the leading column of a composite one:
    # every index is written on every insert and status change, and these would never be read.
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="shipments", db_index=False)
    service_level = models.CharField(
        max_length=16, choices=ServiceLevel.choices, default=ServiceLevel.STANDARD
    )

    sender_name = models.CharField(max_length=64)
    sender_phone = models.CharField(max_length=20)
    sender_address = models.CharField(max_length=255)
    sender_lat = models.FloatField(null=True, blank=True)
    sender_lng = models.FloatField(null=True, blank=True)

    recipient_name = models.CharField(max_length=64)
    recipient_phone = models.CharField(max_length=20)
    recipient_address = models.CharField(max_length=255)
    recipient_postcode = models.CharField(max_length=12, blank=True)
    recipient_lat = models.FloatField(null=True, blank=True)
    recipient_lng = models.FloatField(null=True, blank=True)
    destination_region = models.CharField(max_length=16, blank=True)

    promised_start = models.DateTimeField(null=True, blank=True)
    promised_end = models.DateTimeField(null=True, blank=True)

    declared_value_fen = models.PositiveBigIntegerField(default=0)
    cod_amount_fen = models.PositiveBigIntegerField(default=0)
    handling = models.JSONField(default=list, blank=True)  # HandlingFlag values

    declared_weight_g = models.PositiveIntegerField(null=True, blank=True)
    declared_length_mm = models.PositiveIntegerField(null=True, blank=True)
    declared_width_mm = models.PositiveIntegerField(null=True, blank=True)
    declared_height_mm = models.PositiveIntegerField(null=True, blank=True)
    measured_weight_g = models.PositiveIntegerField(null=True, blank=True)
    measured_length_mm = models.PositiveIntegerField(null=True, blank=True)
    measured_width_mm = models.PositiveIntegerField(null=True, blank=True)
    measured_height_mm = models.PositiveIntegerField(null=True, blank=True)
    weight_source = models.CharField(max_length=64, blank=True)  # "scale:<model>" or "manual:<reason>"
    pieces = models.PositiveSmallIntegerField(default=1)
    price_fen = models.PositiveBigIntegerField(null=True, blank=True)
    payment_method = models.CharField(max_length=16, blank=True)
    # 实名收寄 at pickup (parcelkit.rules.pickup.check_real_name): never the whole ID number.
    sender_id_type = models.CharField(max_length=16, blank=True)
    sender_id_last4 = models.CharField(max_length=4, blank=True)
    sender_real_name = models.CharField(max_length=64, blank=True)
    delivery_code = models.CharField(max_length=8, blank=True)  # the OTP a recipient reads out

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["station", "status"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(pieces__gte=1), name="shipment_pieces_positive"),
        ]

    def __str__(self) -> str:
        return self.tracking_no


class Job(models.Model):
    """One visit by a courier: a pickup or a delivery of one shipment.

    Multi-parcel pickups are one shipment with ``pieces`` > 1 (a multi-piece waybill), so a job
    always has exactly one shipment.
    """

    kind = models.CharField(max_length=10, choices=JobKind.choices)
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="jobs")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="jobs", db_index=False)
    courier = models.ForeignKey(
        Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs", db_index=False
    )
    status = models.CharField(max_length=12, choices=JobStatus.choices, default=JobStatus.PENDING)
    service_date = models.DateField()
    address = models.CharField(max_length=255)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    priority = models.SmallIntegerField(default=0)
    planned_seq = models.PositiveIntegerField(null=True, blank=True)
    eta = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    next_step = models.JSONField(default=dict, blank=True)  # what was agreed after a failed attempt
    # Held by a disruption (backend/incidents): not attempted, not auto-assigned nor planned until released.
    on_hold = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    # The route plan's own revision: re-plans and ETA refreshes bump it, not ``version``, so a
    # person's edit made with the version they read never conflicts with a background re-plan.
    plan_revision = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["courier", "service_date", "planned_seq"]),
            models.Index(fields=["station", "service_date", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class TrackingEvent(models.Model):
    """An append-only fact. ``event_at`` is the device's clock, ``received_at`` the server's."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="events", db_index=False)
    job = models.ForeignKey(
        Job, null=True, blank=True, on_delete=models.PROTECT, related_name="events", db_index=False
    )  # indexed below, where set (scans have no job)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    status_after = models.CharField(max_length=20, choices=ShipmentStatus.choices)
    # Stations and users are never deleted (PROTECT), and events are never looked up by either:
    # an index here would cost every scan an insert for nothing, and a database constraint a check
    # per row that key-share-locks the station's and the scanner's rows from every concurrent push.
    station = unchecked_ref(Station)
    actor = unchecked_ref(settings.AUTH_USER_MODEL)
    device_id = models.CharField(max_length=64, blank=True)
    event_at = models.DateTimeField()
    received_at = models.DateTimeField()
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    # A sync op id, or "<user id>:<Idempotency-Key>" (keys are scoped by user: api/ctx.py).
    idempotency_key = models.CharField(max_length=96, null=True, blank=True, unique=True)
    # A synced scan's event is its op-log entry (no AppliedOp row): the op's payload hash lets a
    # replay under the same op id with a different payload be told apart (backend/sync/oplog.py).
    op_hash = models.CharField(max_length=64, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["shipment", "event_at"]),
            models.Index(fields=["job"], name="event_job_set", condition=models.Q(job__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.shipment_id}"


class DeliveryAttempt(models.Model):
    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    succeeded = models.BooleanField()
    reason_code = models.CharField(max_length=24, choices=ReasonCode.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    next_step = models.CharField(max_length=16, choices=NextStep.choices, blank=True)
    attempted_at = models.DateTimeField()
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    photo_sha256 = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="attempt_number_per_job")]

    def __str__(self) -> str:
        return f"attempt {self.number} of job {self.job_id}"


class ProofOfDelivery(models.Model):
    job = models.OneToOneField(Job, on_delete=models.PROTECT, related_name="proof")
    method = models.CharField(max_length=12, choices=ProofMethod.choices)
    recipient_name = models.CharField(max_length=64, blank=True)
    recipient_relation = models.CharField(max_length=12, choices=RecipientRelation.choices)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    captured_at = models.DateTimeField()
    media_sha256 = models.JSONField(default=list, blank=True)
    code_verified = models.BooleanField(default=False)
    # The document shown for an id_check/high_value parcel (parcelkit/rules/handling.py): its type
    # and last four characters only — a whole ID number is never stored.
    id_type = models.CharField(max_length=16, blank=True, default="")
    id_last4 = models.CharField(max_length=4, blank=True, default="")

    def __str__(self) -> str:
        return f"proof ({self.method}) for job {self.job_id}"


class Collection(models.Model):
    """Money taken at the door: a COD amount or a pickup fee, or a correction of one. Append-only.

    Written by the one write path in the transaction that records the delivery or the pickup
    (``completion.record_delivery``, ``job_complete_pickup``); a correction is a new row
    (``services/collections.py``) that names the row it corrects and carries the difference, so
    the sum over a courier's rows is what they took. Never updated, never deleted. Integer fen.
    Cash stays with the courier until a handover (``backend/cod``) takes the row in; mobile
    payments (with the provider's reference) go to the company's account.
    """

    kind = models.CharField(max_length=12, choices=CollectionKind.choices)
    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="collections")
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="+", db_index=False)
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+", db_index=False)
    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="+", db_index=False)
    method = models.CharField(max_length=16)  # parcelkit.rules.cod.COLLECTION_METHODS
    amount_fen = models.BigIntegerField()  # a correction's difference may be negative
    expected_fen = models.BigIntegerField(default=0)  # what was due when it was taken
    payment_ref = models.CharField(max_length=64, blank=True)
    collected_at = models.DateTimeField()  # the device's clock
    service_date = models.DateField()  # the job's day (the station's local date)
    recorded_at = models.DateTimeField()  # the server's clock
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    op_id = models.CharField(max_length=80, blank=True)  # the sync op or Idempotency-Key
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["courier", "service_date"]),
            models.Index(fields=["station", "service_date"]),
        ]
        constraints = [
            # One collection per door event: a job is delivered or picked up once.
            models.UniqueConstraint(
                fields=["job", "kind"],
                condition=~models.Q(kind=CollectionKind.CORRECTION),
                name="collection_once_per_job",
            ),
            models.CheckConstraint(
                condition=models.Q(kind=CollectionKind.CORRECTION, corrects__isnull=False)
                | (
                    ~models.Q(kind=CollectionKind.CORRECTION)
                    & models.Q(corrects__isnull=True, amount_fen__gt=0)
                ),
                name="collection_positive_or_correction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_fen} fen ({self.method}) job {self.job_id}"


class SerialCounter(models.Model):
    """Waybill serials are handed out from here, in blocks, by ``numbering``."""

    name = models.CharField(max_length=32, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class OfflineConflict(models.Model):
    """A fact a handheld recorded offline whose effect waits for a supervisor.

    A delivery or a failed attempt recorded while the courier held the job, arriving after the
    station changed the job (cancelled it, took it back, put the parcel in exception). The fact is
    kept with its proof (``fact``: the proof or the attempt as the device sent it, its media
    referenced by the op id) and what the server had meanwhile (``server_side``); nothing else
    changes until a supervisor decides (``services/offline.py``).
    """

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+", db_index=False)
    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(max_length=12)  # the op: "deliver" or "fail"
    op_id = models.CharField(max_length=64, unique=True)
    recorded_at = models.DateTimeField()  # the device's clock, as sent
    judged_at = models.DateTimeField()  # the time the conflict was judged at (never before earlier ops)
    received_at = models.DateTimeField()
    fact = models.JSONField(default=dict)
    server_side = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["station"], name="offline_conflict_open", condition=models.Q(state="open"))
        ]

    def __str__(self) -> str:
        return f"{self.kind} on job {self.job_id} ({self.state})"
