"""Writing a route plan onto a job: its place in the courier's day and the expected arrival."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from backend.common.errors import DomainError
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services.recording import (
    check_version,
    feed_job,
    lock_job,
    require_station_staff,
    save_job_plan,
)
from backend.shipments.services.unit import current, unit_of_work
from backend.shipments.states import JobStatus

# A plan only means something for a job someone may still drive to.
_CLOSED = frozenset({JobStatus.COMPLETED, JobStatus.CANCELLED})


@transaction.atomic
def job_set_plan(
    *,
    job_id: int,
    planned_seq: int | None,
    eta: datetime | None,
    ctx: Ctx,
    expected_version: int | None = None,
    expected_plan_revision: int | None = None,
    announce: bool = True,
) -> Job:
    """Set (or clear, with ``None``) a job's place in its courier's route and its expected arrival.

    Locks the job and bumps its ``plan_revision`` — not its ``version``: the plan is the planner's,
    and a supervisor's edit made with the version they read must not fail because a background
    re-plan moved an ETA meanwhile. The planner's own checks are the other way round: a plan
    computed from a job that a person changed since (``expected_version``) or that another plan
    rewrote since (``expected_plan_revision``) is refused with ``version_conflict``.

    Appends one ``job.planned`` change-feed row, so handhelds reorder their list, unless
    ``announce`` is false: the dispatch route writer announces a whole route in one
    ``route.planned`` row instead. A plan change is not a change of the shipment's status, so it
    writes NO TrackingEvent: the public history shows what happened to the parcel, not how routes
    were drawn. Note that ``job_assign``/``job_unassign`` clear the plan; plan after assigning.
    """
    _check_plan(planned_seq, eta)
    job = lock_job(job_id)
    _set_plan(job, PlanWrite(job_id, planned_seq, eta, expected_version, expected_plan_revision), ctx)
    if announce:
        feed_job("job.planned", job)
    return job


@dataclass(frozen=True)
class PlanWrite:
    """One job's new place and ETA, with the version and plan revision the planner read."""

    job_id: int
    planned_seq: int | None
    eta: datetime | None
    expected_version: int | None = None
    expected_plan_revision: int | None = None


@dataclass(frozen=True, slots=True)
class PlannedJob:
    """A job as a plan write left it: what a route writer announces and keeps of it."""

    id: int
    kind: str
    shipment_id: int
    version: int
    plan_revision: int
    planned_seq: int | None
    eta: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, job: Job) -> PlannedJob:
        return cls(
            job.pk,
            job.kind,
            job.shipment_id,
            job.version,
            job.plan_revision,
            job.planned_seq,
            job.eta,
            job.updated_at,
        )


# What a plan write reads of a job it locks, when the unit of work is its own: the columns it
# checks and writes (the parcel is neither read nor written, so its row is not locked). A route
# writer plans ~150 jobs at a time; their whole rows and parcels as model instances were most of
# its cost, and nothing in this unit reads the other columns.
_PLAN_COLUMNS = (
    "id",
    "kind",
    "station",
    "status",
    "version",
    "plan_revision",
    "planned_seq",
    "eta",
    "updated_at",
    "shipment",
)


def jobs_set_plan(*, plans: Sequence[PlanWrite], ctx: Ctx, lock: Sequence[int] = ()) -> list[PlannedJob]:
    """``job_set_plan`` (``announce=False``) for many jobs at once, in the caller's transaction.

    The same checks per job, but the jobs are locked (with their shipments, as ``lock_job``) in
    one statement (pk order) and their plan fields written in one ``UPDATE``: a unit of work, the
    caller's when one is open (a bulk reassignment), else one of its own, which reads only the
    columns a plan write checks and writes. A refusal raises before anything is written; the
    caller rolls back. A route writer announces the written jobs itself (one ``route.planned``
    row); returns them as written. ``lock``: more jobs to lock with them, in the same statement
    and the same pk order (a route writer's other jobs, which it relies on and does not change).
    """
    assert transaction.get_connection().in_atomic_block, "jobs_set_plan needs a transaction"
    for p in plans:
        _check_plan(p.planned_seq, p.eta)
    if not plans:
        return []
    if current() is not None:
        return [PlannedJob.of(j) for j in _set_plans(plans, ctx, lock, own_unit=False)]
    with unit_of_work():
        return [PlannedJob.of(j) for j in _set_plans(plans, ctx, lock, own_unit=True)]


def _set_plans(plans: Sequence[PlanWrite], ctx: Ctx, lock: Sequence[int], *, own_unit: bool) -> list[Job]:
    unit = current()
    assert unit is not None
    # Its own unit reads only the plan columns of every job it locks and leaves the parcels
    # unlocked (``_PLAN_COLUMNS``): one statement locks and reads them all. A caller's unit may read
    # or write anything of the job and its parcel afterwards, so it reads the written jobs whole,
    # after locking the whole set by id (one statement, pk order, as the route writers lock).
    ids = [p.job_id for p in plans]
    if own_unit:
        unit.preload([*ids, *lock], only=_PLAN_COLUMNS, shipments=False)
    else:
        if lock:
            locked = Job.objects.select_for_update(of=("self",), no_key=True).filter(pk__in=[*ids, *lock])
            list(locked.order_by("pk").values_list("pk", flat=True))
        unit.preload(ids)
    return [_set_plan(lock_job(p.job_id), p, ctx) for p in plans]


def _check_plan(planned_seq: int | None, eta: datetime | None) -> None:
    if planned_seq is not None and (isinstance(planned_seq, bool) or planned_seq < 0):
        raise DomainError("invalid", "planned_seq must be a whole number ≥ 0", field="planned_seq")
    if eta is not None and eta.tzinfo is None:
        raise DomainError("invalid", "eta needs a time zone", field="eta")


def _set_plan(job: Job, plan: PlanWrite, ctx: Ctx) -> Job:
    require_station_staff(ctx, job.station_id)
    check_version(job, plan.expected_version)
    if plan.expected_plan_revision is not None and plan.expected_plan_revision != job.plan_revision:
        raise DomainError(
            "version_conflict",
            f"job {job.pk} was re-planned since (plan revision {plan.expected_plan_revision}, now {job.plan_revision})",
            current_version=job.version,
            current_status=job.status,
        )
    if job.status in _CLOSED:
        raise DomainError(
            "invalid_transition",
            f"job {job.pk} is {job.status}; a closed job cannot be planned",
            entity="job",
            current=job.status,
            requested="planned",
        )
    job.planned_seq = plan.planned_seq
    job.eta = plan.eta
    save_job_plan(job, ["planned_seq", "eta"])
    return job
