"""Conflicts that only exist because a handheld works offline.

A courier delivers with proof in a basement with no signal; meanwhile the station, seeing no
progress, gives the job to someone else. When the handheld reconnects the delivery is a fact (the
parcel is in the recipient's hands, with a signature), so it stands: the job is completed for the
courier who held it when the delivery was recorded, the courier it was given to loses it, and the
station is told with a ``job.delivered_offline`` feed row (its console raises it for a supervisor).

Any other change the station made meanwhile (cancelled the job, took it back, put the parcel in
exception) is a decision the device cannot overrule: the fact is kept with its proof as an
``OfflineConflict`` and waits for a supervisor. So is a failed attempt recorded before the job was
taken away. A device's clock is judged against its own history: never earlier than the ops it
recorded before (issue 16: a back-dated delivery completed a job taken away and put in exception).
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.accounts.roles import Role
from backend.common.errors import DomainError
from backend.shipments import feed, transitions
from backend.shipments.context import Ctx
from backend.shipments.models import FeedEntry, Job, OfflineConflict
from backend.shipments.services.completion import record_delivery
from backend.shipments.services.door_inputs import ProofInput
from backend.shipments.services.recording import lock_job, require_station_staff
from backend.shipments.snapshots import job_snapshot
from backend.shipments.states import JobKind, JobStatus, ShipmentStatus

_HAND_OVERS = ("job.assigned", "job.unassigned")
# A reassignment or an unassignment can be overtaken by an offline delivery; a closed job cannot.
_OVERTAKABLE = frozenset(
    {JobStatus.PENDING, JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.STARTED, JobStatus.ARRIVED}
)


# Where a parcel stands when nobody decided anything about it: a reassignment alone leaves it here
# (the hand-over steps the device recorded offline were refused with the reassignment, so it may
# still read at_station). Held, exception, returning… are a station's decisions: never overtaken.
_NO_DECISION = frozenset(
    {ShipmentStatus.AT_STATION, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.DELIVERY_FAILED}
)


def courier_holding_at(job: Job, at: datetime) -> int | None:
    """Who held ``job`` at ``at``: the courier the first hand-over after it took the job from (its
    ``prev_courier_id``), or the job's courier now when nothing happened since."""
    later = (
        FeedEntry.objects.filter(job_id=job.pk, kind__in=_HAND_OVERS, created_at__gt=at)
        .order_by("cursor")
        .values_list("prev_courier_id")
        .first()
    )
    return job.courier_id if later is None else later[0]


def _hold(job: Job, ctx: Ctx, *, kind: str, fact: dict[str, Any], judged_at: datetime) -> OfflineConflict:
    """Keep the fact, change nothing else: a supervisor decides (``offline_conflict_resolve``)."""
    assert ctx.event_at is not None and ctx.actor.courier_id is not None
    shipment = job.shipment
    return OfflineConflict.objects.create(
        job=job,
        station_id=job.station_id,
        courier_id=ctx.actor.courier_id,
        kind=kind,
        op_id=ctx.idempotency_key or "",
        recorded_at=ctx.event_at,
        judged_at=judged_at,
        received_at=timezone.now(),
        fact=fact,
        server_side={
            "job_status": job.status,
            "job_courier_id": job.courier_id,
            "shipment_status": shipment.status,
        },
    )


def _judged_at(ctx: Ctx, not_before: datetime | None) -> datetime:
    """The device's time, but never before the ops it recorded earlier (their sequence says so)."""
    assert ctx.event_at is not None
    return ctx.event_at if not_before is None else max(ctx.event_at, not_before)


def _held_by_actor(job_id: int, ctx: Ctx, judged_at: datetime) -> Job:
    actor = ctx.actor
    job = lock_job(job_id)
    if actor.role is not Role.COURIER or courier_holding_at(job, judged_at) != actor.courier_id:
        raise DomainError("not_assigned_to_you", f"job {job.pk} was not yours at that time", job_id=job.pk)
    return job


@transaction.atomic
def job_deliver_offline(
    *, job_id: int, ctx: Ctx, proof: ProofInput, not_before: datetime | None = None
) -> OfflineConflict | None:
    """A delivery recorded offline that the job as it is now refuses.

    Judged at the device's time, never earlier than the ops it recorded before this one
    (``not_before``). Refused with ``not_assigned_to_you`` unless the courier held the job then;
    with ``job_closed`` when someone else finished it first (the first finish stands).

    Only given to someone else since (a reassignment) while the parcel can still become delivered:
    the delivery stands, for the courier who made it (``None`` is returned). Any other change
    since (cancelled, taken back, the parcel put in exception or on hold): the delivery and its
    proof are kept as an ``OfflineConflict`` for a supervisor, and nothing else changes: the
    conflict rules never apply a transition the tables do not allow.
    """
    if ctx.event_at is None:
        raise DomainError(
            "not_assigned_to_you", f"job {job_id} is not assigned to you any more", job_id=job_id
        )
    judged_at = _judged_at(ctx, not_before)
    job = _held_by_actor(job_id, ctx, judged_at)
    if job.kind != JobKind.DELIVERY:
        raise DomainError("wrong_job_kind", "this is a pickup, not a delivery")
    shipment = job.shipment
    if job.status in (JobStatus.COMPLETED, JobStatus.FAILED):
        raise DomainError(
            "job_closed",
            f"job {job.pk} was closed ({job.status}) before your delivery arrived",
            job_id=job.pk,
            current_status=job.status,
        )
    reassigned = job.courier_id is not None and job.courier_id != ctx.actor.courier_id
    if not (reassigned and job.status in _OVERTAKABLE and shipment.status in _NO_DECISION):
        proof.validate(cod_amount_fen=shipment.cod_amount_fen, delivery_code="")
        return _hold(job, ctx, kind="deliver", fact=_as_json(asdict(proof)), judged_at=judged_at)
    taken_by = job.courier_id
    conflict: dict[str, object] = {
        "rule": "offline_delivery_beats_reassignment",
        "reassigned_to": taken_by,
        "delivered_by": ctx.actor.courier_id,
        "recorded_at": ctx.event_at.isoformat(),
        "received_at": timezone.now().isoformat(),
    }
    record_delivery(
        job,
        ctx,
        proof,
        captured_at=proof.captured_at or ctx.event_at,
        courier_id=ctx.actor.courier_id,
        conflict=conflict,
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
    return None


@transaction.atomic
def job_fail_offline(
    *, job_id: int, ctx: Ctx, attempt: dict[str, Any], not_before: datetime | None = None
) -> OfflineConflict:
    """A failed attempt recorded offline before the job was cancelled or taken away: kept, for a
    supervisor (it says the courier was at the door, when and why it failed), with no effect."""
    if ctx.event_at is None:
        raise DomainError(
            "not_assigned_to_you", f"job {job_id} is not assigned to you any more", job_id=job_id
        )
    judged_at = _judged_at(ctx, not_before)
    job = _held_by_actor(job_id, ctx, judged_at)
    if job.status in (JobStatus.COMPLETED, JobStatus.FAILED):
        raise DomainError(
            "job_closed", f"job {job.pk} was closed ({job.status}) before your attempt arrived", job_id=job.pk
        )
    return _hold(job, ctx, kind="fail", fact=_as_json(attempt), judged_at=judged_at)


@transaction.atomic
def offline_conflict_resolve(*, conflict_id: int, ctx: Ctx, accept: bool, reason: str) -> OfflineConflict:
    """A supervisor's decision on a held offline fact, with a reason; the fact itself stays.

    Accepting a delivery completes the job for the courier who made it, when the job is still
    open and the parcel may still become delivered (the tables decide: an exception must first be
    cleared); otherwise accepting is refused and nothing is written. Rejecting (or accepting a
    failed attempt) records the decision only.
    """
    if not reason.strip():
        raise DomainError("invalid", "a reason is required")
    held = OfflineConflict.objects.filter(pk=conflict_id).values_list("job_id", "station_id").first()
    if held is None or not ctx.actor.can_see_station(held[1]):  # another station's id leaks nothing
        raise DomainError("not_found", f"offline conflict {conflict_id} not found")
    require_station_staff(ctx, held[1])
    job = lock_job(held[0])  # the job first, as every job service: then the conflict row
    conflict = OfflineConflict.objects.select_for_update().get(pk=conflict_id)
    if conflict.state != OfflineConflict.State.OPEN:
        raise DomainError("already_done", f"this conflict was already {conflict.state}")
    if accept and conflict.kind == "deliver":
        if job.status not in _OVERTAKABLE:  # cancelled, or finished meanwhile: the job table says no
            transitions.check_job(job.status, JobStatus.COMPLETED)
        transitions.check_shipment(job.shipment.status, ShipmentStatus.DELIVERED)
        proof = ProofInput(**_proof_fields(conflict.fact))
        taken_by = job.courier_id
        record_delivery(
            job,
            ctx,
            proof,
            captured_at=proof.captured_at or conflict.recorded_at,
            courier_id=conflict.courier_id,
            conflict={"rule": "accepted_by_supervisor", "offline_conflict": conflict.pk, "reason": reason},
        )
        feed.append(
            "job.delivered_offline",
            {"job": job_snapshot(job), "conflict": {"rule": "accepted_by_supervisor", "reason": reason}},
            station_id=job.station_id,
            courier_id=job.courier_id,
            prev_courier_id=taken_by if taken_by != job.courier_id else None,
            shipment_id=job.shipment_id,
            job_id=job.pk,
        )
    conflict.state = OfflineConflict.State.ACCEPTED if accept else OfflineConflict.State.REJECTED
    conflict.resolved_by_id = ctx.actor.user_id
    conflict.resolved_at = timezone.now()
    conflict.resolution_reason = reason.strip()[:200]
    conflict.save(update_fields=["state", "resolved_by", "resolved_at", "resolution_reason"])
    return conflict


def _as_json(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def _proof_fields(fact: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(ProofInput)}
    out = {k: v for k, v in fact.items() if k in names}
    if isinstance(out.get("captured_at"), str):
        out["captured_at"] = datetime.fromisoformat(out["captured_at"])
    return out
