"""Finishing a job at the door: a completed pickup, a delivery with proof, or a failed attempt."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.shipments import transitions
from backend.shipments.context import Ctx
from backend.shipments.models import DeliveryAttempt, Job, ProofOfDelivery
from backend.shipments.next_step import clean_next_step
from backend.shipments.services.collections import DOOR_PAYMENTS, record_collection
from backend.shipments.services.door_inputs import COD_ONLY_REASONS, PickupInput, ProofInput
from backend.shipments.services.followups import (
    negotiate_after_commit,
    refresh_etas_after_commit,
    replan_after_commit,
)
from backend.shipments.services.recording import (
    check_version,
    feed_job,
    insert,
    lock_job,
    record_event,
    require_own_job,
    save_job,
    save_shipment,
)
from backend.shipments.states import (
    CollectionKind,
    EventKind,
    JobKind,
    JobStatus,
    ProofMethod,
    ReasonCode,
    ShipmentStatus,
)
from parcelkit.rules import handling as handling_rules


@transaction.atomic
def job_complete_pickup(
    *, job_id: int, ctx: Ctx, data: PickupInput, expected_version: int | None = None
) -> Job:
    """The courier completes a pickup with the parcel's measurements and checks (``PickupInput``).

    Must be their own pickup job (``not_assigned_to_you``, ``wrong_job_kind``); writes the measured
    weight, dimensions and price onto the shipment, the job completed, one event and a feed row.
    Pricing is checked before this by ``backend.pickup.services.pickup_complete``."""
    data.validate()
    job = lock_job(job_id)
    require_own_job(ctx, job)
    check_version(job, expected_version)
    if job.kind != JobKind.PICKUP:
        raise DomainError("wrong_job_kind", "this is a delivery, not a pickup")
    transitions.check_job(job.status, JobStatus.COMPLETED)
    shipment = job.shipment
    transitions.check_shipment(shipment.status, ShipmentStatus.PICKED_UP)
    shipment.status = ShipmentStatus.PICKED_UP
    shipment.measured_weight_g = data.measured_weight_g
    shipment.measured_length_mm = data.length_mm
    shipment.measured_width_mm = data.width_mm
    shipment.measured_height_mm = data.height_mm
    shipment.weight_source = (
        f"scale:{data.scale_model}" if data.weight_source == "scale" else f"manual:{data.manual_reason}"
    )[:64]
    shipment.pieces = data.pieces
    shipment.declared_value_fen = data.declared_value_fen
    shipment.price_fen = data.price_fen
    shipment.payment_method = data.payment_method
    shipment.sender_id_type = data.sender_id_type
    shipment.sender_id_last4 = data.sender_id_last4.strip().upper()
    shipment.sender_real_name = data.sender_real_name.strip()
    save_shipment(
        shipment,
        [
            "status",
            "measured_weight_g",
            "measured_length_mm",
            "measured_width_mm",
            "measured_height_mm",
            "weight_source",
            "pieces",
            "declared_value_fen",
            "price_fen",
            "payment_method",
            "sender_id_type",
            "sender_id_last4",
            "sender_real_name",
        ],
    )
    job.status = JobStatus.COMPLETED
    job.attempt_count += 1
    save_job(job, ["status", "attempt_count"])
    if data.price_fen and data.payment_method in DOOR_PAYMENTS and job.courier_id is not None:
        record_collection(
            job,
            ctx,
            kind=CollectionKind.PICKUP_FEE,
            courier_id=job.courier_id,
            method=data.payment_method,
            amount_fen=data.price_fen,
            expected_fen=data.price_fen,
            payment_ref=data.payment_ref,
            collected_at=ctx.event_at or timezone.now(),
        )
    record_event(
        ctx,
        shipment=shipment,
        job=job,
        kind=EventKind.PICKUP_SCAN,
        details={"weight_g": data.measured_weight_g, "source": shipment.weight_source, "pieces": data.pieces},
    )
    feed_job("job.updated", job)
    refresh_etas_after_commit(job.courier_id)
    return job


@transaction.atomic
def job_deliver(*, job_id: int, ctx: Ctx, proof: ProofInput, expected_version: int | None = None) -> Job:
    """The courier hands a parcel over with proof (a signature or photo, a code, COD collected).

    Must be the courier's own delivery job (``not_assigned_to_you``, ``wrong_job_kind``), in a
    state that may complete, with a shipment that may become delivered (``invalid_transition``);
    the proof is checked against the shipment (``proof_incomplete``, ``invalid``). Writes the
    proof, the attempt, the job completed and the shipment delivered, one ``delivered`` event and
    a ``job.updated`` feed row, and asks for fresh ETAs of the courier's day after commit.
    The offline variant (``offline.job_deliver_offline``) records the same facts through
    :func:`record_delivery`.
    """
    job = lock_job(job_id)
    require_own_job(ctx, job)
    check_version(job, expected_version)
    if job.kind != JobKind.DELIVERY:
        raise DomainError("wrong_job_kind", "this is a pickup, not a delivery")
    transitions.check_job(job.status, JobStatus.COMPLETED)
    shipment = job.shipment
    transitions.check_shipment(shipment.status, ShipmentStatus.DELIVERED)
    record_delivery(job, ctx, proof, captured_at=proof.captured_at or ctx.event_at or timezone.now())
    feed_job("job.updated", job)
    refresh_etas_after_commit(job.courier_id)
    return job


def record_delivery(
    job: Job,
    ctx: Ctx,
    proof: ProofInput,
    *,
    captured_at: datetime,
    courier_id: int | None = None,
    conflict: dict[str, object] | None = None,
) -> None:
    """The facts of a successful delivery, written once for both the online and the offline path.

    Must be called holding the job lock (``lock_job``) with the transitions already checked;
    validates the proof against the shipment, then writes the proof, the job completed (for
    ``courier_id`` when given: the offline deliverer), the successful attempt, the shipment
    delivered and the ``delivered`` event (with ``conflict`` in its details when given). The
    caller writes the change-feed row, last.
    """
    shipment = job.shipment
    proof.validate(cod_amount_fen=shipment.cod_amount_fen, delivery_code=shipment.delivery_code)
    proof.check_handling(shipment.handling)
    consent = proof.consent(job.next_step)
    needs_id = handling_rules.needs_id(shipment.handling)
    insert(
        ProofOfDelivery(
            job=job,
            method=proof.method,
            recipient_name=proof.recipient_name,
            recipient_relation=proof.recipient_relation,
            lat=proof.lat,
            lng=proof.lng,
            accuracy_m=proof.accuracy_m,
            captured_at=captured_at,
            media_sha256=list(proof.media_sha256),
            code_verified=proof.method == ProofMethod.CODE and bool(shipment.delivery_code),
            # Kept only where the flags asked for the check: a stray value proves nothing.
            id_type=proof.id_type if needs_id else "",
            id_last4=proof.id_last4.strip().upper() if needs_id else "",
        )
    )
    fields = ["status", "attempt_count"]
    if courier_id is not None:
        job.courier_id = courier_id
        fields.insert(0, "courier")
    job.status = JobStatus.COMPLETED
    job.attempt_count += 1
    save_job(job, fields)
    insert(
        DeliveryAttempt(
            job=job,
            number=job.attempt_count,
            succeeded=True,
            attempted_at=captured_at,
            lat=proof.lat,
            lng=proof.lng,
        )
    )
    shipment.status = ShipmentStatus.DELIVERED
    save_shipment(shipment, ["status"])
    details: dict[str, object] = {"method": proof.method, "relation": proof.recipient_relation}
    if shipment.cod_amount_fen and job.courier_id is not None:
        record_collection(
            job,
            ctx,
            kind=CollectionKind.COD,
            courier_id=job.courier_id,
            method=proof.cod_method,
            amount_fen=proof.cod_collected_fen,
            expected_fen=shipment.cod_amount_fen,
            payment_ref=proof.cod_payment_ref,
            collected_at=captured_at,
        )
        details["cod"] = {"fen": proof.cod_collected_fen, "method": proof.cod_method}
    if conflict is not None:
        details["conflict"] = conflict
    details.update(consent)
    details.update(proof.locker())
    record_event(ctx, shipment=shipment, job=job, kind=EventKind.DELIVERED, details=details)


@transaction.atomic
def job_fail(
    *,
    job_id: int,
    ctx: Ctx,
    reason_code: str,
    note: str = "",
    next_step: dict[str, object] | None = None,
    photo_sha256: list[str] | None = None,
    expected_version: int | None = None,
) -> Job:
    """A failed attempt: the reason, what was agreed with the customer, and the evidence."""
    if reason_code not in ReasonCode.values:
        raise DomainError("unknown_reason_code", f"{reason_code!r} is not a known reason code")
    step = clean_next_step(next_step or {})
    job = lock_job(job_id)
    require_own_job(ctx, job)
    check_version(job, expected_version)
    transitions.check_job(job.status, JobStatus.FAILED)
    shipment = job.shipment
    if reason_code in COD_ONLY_REASONS and not shipment.cod_amount_fen:
        raise DomainError("invalid", "this parcel has no cash on delivery amount", field="reason_code")
    if job.kind == JobKind.DELIVERY:
        transitions.check_shipment(shipment.status, ShipmentStatus.DELIVERY_FAILED)
        shipment.status = ShipmentStatus.DELIVERY_FAILED
        save_shipment(shipment, ["status"])
    job.status = JobStatus.FAILED
    job.attempt_count += 1
    job.next_step = step
    save_job(job, ["status", "attempt_count", "next_step"])
    insert(
        DeliveryAttempt(
            job=job,
            number=job.attempt_count,
            succeeded=False,
            reason_code=reason_code,
            note=note[:500],
            next_step=str(step.get("kind", "")),
            attempted_at=ctx.event_at or timezone.now(),
            lat=ctx.lat,
            lng=ctx.lng,
            photo_sha256=list(photo_sha256 or []),
        )
    )
    kind = EventKind.DELIVERY_ATTEMPT if job.kind == JobKind.DELIVERY else EventKind.PICKUP_FAILED
    record_event(
        ctx, shipment=shipment, job=job, kind=kind, details={"reason": reason_code, "next_step": step}
    )
    feed_job("job.updated", job)
    replan_after_commit(job.courier_id, "failed attempt")
    if job.kind == JobKind.DELIVERY:
        negotiate_after_commit(job.pk, job.attempt_count)
    return job
