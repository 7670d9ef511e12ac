"""Assignment and the courier's progress through a job (accept, start, arrive), and cancellation."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from backend.common import rows
from backend.common.errors import DomainError
from backend.couriers.models import Courier
from backend.shipments import transitions
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services.followups import refresh_etas_after_commit, replan_after_commit
from backend.shipments.services.recording import (
    check_version,
    feed_job,
    lock_job,
    record_event,
    require_own_job,
    require_station_staff,
    save_job,
    save_shipment,
)
from backend.shipments.states import EventKind, JobKind, JobStatus, ShipmentStatus


@transaction.atomic
def job_assign(
    *,
    job_id: int,
    courier_id: int,
    ctx: Ctx,
    reason: str = "",
    expected_version: int | None = None,
    replan: bool = True,
) -> Job:
    """Give a job to a courier (first assignment, reassignment, or a re-attempt after a failure).

    The previous courier, if any, is told through the feed (it shows up as a revocation for them).
    ``replan`` false: the caller asks the courier's (debounced) re-plan itself (auto-assignment).
    """
    job = lock_job(job_id)
    require_station_staff(ctx, job.station_id)
    check_version(job, expected_version)
    return _assign(job, _courier(courier_id), ctx, reason, replan=replan)


def jobs_assign(
    *, job_ids: Sequence[int], courier_id: int, ctx: Ctx, reason: str = "", replan: bool = True
) -> list[Job]:
    """``job_assign`` for many jobs to one courier, in the caller's transaction, without a savepoint
    per job: a bulk reassignment runs it inside a unit of work (the jobs locked up front), so the
    whole set costs a constant number of statements. Same checks, writes and feed rows per job, in
    ``job_ids`` order; the first refusal raises (the caller rolls the whole set back). ``replan``
    false: the caller asks the couriers' (debounced) re-plans itself, once per courier."""
    assert transaction.get_connection().in_atomic_block, "jobs_assign needs a transaction"
    courier = _courier(courier_id)
    out = []
    for job_id in job_ids:
        job = lock_job(job_id)
        require_station_staff(ctx, job.station_id)
        out.append(_assign(job, courier, ctx, reason, replan=replan))
    return out


def _courier(courier_id: int) -> Courier:
    courier = rows.by_pk(Courier, courier_id)
    if courier is None:
        raise DomainError("not_found", f"courier {courier_id} does not exist")
    return courier


def _assign(job: Job, courier: Courier, ctx: Ctx, reason: str, *, replan: bool = True) -> Job:
    if courier.station_id != job.station_id:
        raise DomainError("courier_other_station", f"courier {courier.employee_no} works at another station")
    if job.status == JobStatus.ASSIGNED and job.courier_id == courier.pk:
        raise DomainError("invalid_transition", f"job {job.pk} is already assigned to {courier.employee_no}")
    transitions.check_job(job.status, JobStatus.ASSIGNED)
    prev = job.courier_id
    job.courier = courier
    job.status = JobStatus.ASSIGNED
    job.planned_seq = None
    job.eta = None
    save_job(job, ["courier", "status", "planned_seq", "eta"])
    record_event(
        ctx,
        shipment=job.shipment,
        job=job,
        kind=EventKind.JOB_ASSIGNED,
        details={"courier": courier.employee_no, "prev_courier_id": prev, "reason": reason},
    )
    feed_job("job.assigned", job, prev_courier_id=prev)
    if replan:
        replan_after_commit(courier.pk, "job assigned")
        if prev and prev != courier.pk:
            replan_after_commit(prev, "job reassigned away")
    return job


@transaction.atomic
def job_unassign(*, job_id: int, ctx: Ctx, reason: str, expected_version: int | None = None) -> Job:
    """Take a job back from its courier to the queue (pending); the courier sees a revocation and gets a re-plan."""
    job = lock_job(job_id)
    require_station_staff(ctx, job.station_id)
    check_version(job, expected_version)
    transitions.check_job(job.status, JobStatus.PENDING)
    prev = job.courier_id
    job.courier = None
    job.status = JobStatus.PENDING
    job.planned_seq = None
    job.eta = None
    save_job(job, ["courier", "status", "planned_seq", "eta"])
    record_event(
        ctx, shipment=job.shipment, job=job, kind=EventKind.JOB_UNASSIGNED, details={"reason": reason}
    )
    feed_job("job.unassigned", job, prev_courier_id=prev)
    replan_after_commit(prev, "job unassigned")
    return job


def _courier_step(job_id: int, to: JobStatus, ctx: Ctx, expected_version: int | None) -> Job:
    job = lock_job(job_id)
    require_own_job(ctx, job)
    check_version(job, expected_version)
    transitions.check_job(job.status, to)
    job.status = to
    save_job(job, ["status"])
    return job


@transaction.atomic
def job_accept(*, job_id: int, ctx: Ctx, expected_version: int | None = None) -> Job:
    """The courier accepts their assigned job."""
    job = _courier_step(job_id, JobStatus.ACCEPTED, ctx, expected_version)
    record_event(ctx, shipment=job.shipment, job=job, kind=EventKind.JOB_ACCEPTED)
    feed_job("job.updated", job)
    return job


@transaction.atomic
def job_start(*, job_id: int, ctx: Ctx, expected_version: int | None = None) -> Job:
    """The courier sets off. For a delivery this also takes the parcel out for delivery."""
    job = _courier_step(job_id, JobStatus.STARTED, ctx, expected_version)
    shipment = job.shipment
    if job.kind == JobKind.DELIVERY and shipment.status != ShipmentStatus.OUT_FOR_DELIVERY:
        transitions.check_shipment(shipment.status, ShipmentStatus.OUT_FOR_DELIVERY)
        shipment.status = ShipmentStatus.OUT_FOR_DELIVERY
        save_shipment(shipment, ["status"])
    record_event(ctx, shipment=shipment, job=job, kind=EventKind.JOB_STARTED)
    feed_job("job.updated", job)
    return job


@transaction.atomic
def job_arrive(*, job_id: int, ctx: Ctx, expected_version: int | None = None) -> Job:
    """The courier is at the door; their remaining ETAs are refreshed after commit."""
    job = _courier_step(job_id, JobStatus.ARRIVED, ctx, expected_version)
    record_event(ctx, shipment=job.shipment, job=job, kind=EventKind.JOB_ARRIVED)
    feed_job("job.updated", job)
    refresh_etas_after_commit(job.courier_id)
    return job


@transaction.atomic
def job_cancel(*, job_id: int, ctx: Ctx, reason: str, expected_version: int | None = None) -> Job:
    """Close a job without doing it (the shipment's own status is a separate decision)."""
    if not reason.strip():
        raise DomainError("invalid", "a reason is required to cancel a job")
    job = lock_job(job_id)
    require_station_staff(ctx, job.station_id)
    check_version(job, expected_version)
    transitions.check_job(job.status, JobStatus.CANCELLED)
    job.status = JobStatus.CANCELLED
    save_job(job, ["status"])
    record_event(
        ctx, shipment=job.shipment, job=job, kind=EventKind.JOB_CANCELLED, details={"reason": reason}
    )
    feed_job("job.updated", job)
    return job


@transaction.atomic
def job_hold(*, job_id: int, ctx: Ctx, held: bool, reason: str) -> Job:
    """Hold a job (a disruption where it goes) or release it; a no-op when it already is so.

    A held job is taken back from its courier first when it can still go back to the queue
    (assigned or accepted: the courier sees a revocation and gets a re-plan); a job the courier
    has started is left to them. Auto-assignment and the station plan skip held jobs.
    """
    job = lock_job(job_id)
    require_station_staff(ctx, job.station_id)
    if job.on_hold == held:
        return job
    if held and job.courier_id is not None and transitions.job_can(job.status, JobStatus.PENDING):
        job = job_unassign(job_id=job.pk, ctx=ctx, reason=reason)
    if held and job.status != JobStatus.PENDING:
        raise DomainError(
            "invalid_transition",
            f"job {job.pk} is {job.status} and cannot be held",
            entity="job",
            current=job.status,
            requested="held",
        )
    job.on_hold = held
    save_job(job, ["on_hold"])
    feed_job("job.updated", job)
    return job
