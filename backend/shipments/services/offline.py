"""Conflicts that only exist because a handheld works offline.

A courier delivers with proof in a basement with no signal; meanwhile the station, seeing no
progress, gives the job to someone else. When the handheld reconnects the delivery is a fact (the
parcel is in the recipient's hands, with a signature), so it stands: the job is completed for the
courier who held it when the delivery was recorded, the courier it was given to loses it, and the
station is told with a ``job.delivered_offline`` feed row (its console raises it for a supervisor).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from backend.accounts.roles import Role
from backend.common.errors import DomainError
from backend.shipments import feed, transitions
from backend.shipments.context import Ctx
from backend.shipments.models import DeliveryAttempt, FeedEntry, Job, ProofOfDelivery
from backend.shipments.services.completion import ProofInput
from backend.shipments.services.recording import insert, lock_job, record_event, save_job, save_shipment
from backend.shipments.snapshots import job_snapshot
from backend.shipments.states import EventKind, JobKind, JobStatus, ProofMethod, ShipmentStatus

_HAND_OVERS = ("job.assigned", "job.unassigned")
# A reassignment or an unassignment can be overtaken by an offline delivery; a closed job cannot.
_OVERTAKABLE = frozenset(
    {JobStatus.PENDING, JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.STARTED, JobStatus.ARRIVED}
)


def courier_holding_at(job: Job, ctx: Ctx) -> int | None:
    """Who held ``job`` at the device's event time: the courier the first hand-over after it took
    the job from (its ``prev_courier_id``), or the job's courier now when nothing happened since."""
    assert ctx.event_at is not None
    later = (
        FeedEntry.objects.filter(job_id=job.pk, kind__in=_HAND_OVERS, created_at__gt=ctx.event_at)
        .order_by("cursor")
        .values_list("prev_courier_id")
        .first()
    )
    return job.courier_id if later is None else later[0]


@transaction.atomic
def job_deliver_offline(*, job_id: int, ctx: Ctx, proof: ProofInput) -> Job:
    """Complete a delivery recorded offline by a courier who no longer holds the job.

    Refused with ``not_assigned_to_you`` unless the courier held the job at ``ctx.event_at``; with
    ``job_closed`` when the job was finished or cancelled meanwhile (then the first finish stands).
    """
    actor = ctx.actor
    if actor.role is not Role.COURIER or ctx.event_at is None:
        raise DomainError(
            "not_assigned_to_you", f"job {job_id} is not assigned to you any more", job_id=job_id
        )
    job = lock_job(job_id)
    if job.kind != JobKind.DELIVERY:
        raise DomainError("wrong_job_kind", "this is a pickup, not a delivery")
    if courier_holding_at(job, ctx) != actor.courier_id:
        raise DomainError(
            "not_assigned_to_you", f"job {job.pk} was not yours when you delivered it", job_id=job.pk
        )
    shipment = job.shipment
    if job.status not in _OVERTAKABLE or shipment.status in transitions.SHIPMENT_TERMINAL:
        raise DomainError(
            "job_closed",
            f"job {job.pk} was closed ({job.status}) before your delivery arrived",
            job_id=job.pk,
            current_status=job.status,
        )
    proof.validate(cod_amount_fen=shipment.cod_amount_fen, delivery_code=shipment.delivery_code)
    consent = proof.consent(job.next_step)
    captured_at = proof.captured_at or ctx.event_at
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
        )
    )
    taken_by = job.courier_id
    job.courier_id = actor.courier_id
    job.status = JobStatus.COMPLETED
    job.attempt_count += 1
    save_job(job, ["courier", "status", "attempt_count"])
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
    conflict = {
        "rule": "offline_delivery_beats_reassignment",
        "reassigned_to": taken_by,
        "delivered_by": actor.courier_id,
        "recorded_at": ctx.event_at.isoformat(),
        "received_at": timezone.now().isoformat(),
    }
    record_event(
        ctx,
        shipment=shipment,
        job=job,
        kind=EventKind.DELIVERED,
        details={
            "method": proof.method,
            "relation": proof.recipient_relation,
            "conflict": conflict,
            **consent,
        },
    )
    # One feed row: the courier ids make it an upsert for the deliverer and a revocation for the
    # courier it was given to; its kind is what the station console alerts on.
    feed.append(
        "job.delivered_offline",
        {"job": job_snapshot(job), "conflict": conflict},
        station_id=job.station_id,
        courier_id=job.courier_id,
        prev_courier_id=taken_by,
        shipment_id=job.shipment_id,
        job_id=job.pk,
    )
    return job
