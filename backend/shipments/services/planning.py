"""Writing a route plan onto a job: its place in the courier's day and the expected arrival."""

from __future__ import annotations

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
    if planned_seq is not None and (isinstance(planned_seq, bool) or planned_seq < 0):
        raise DomainError("invalid", "planned_seq must be a whole number ≥ 0", field="planned_seq")
    if eta is not None and eta.tzinfo is None:
        raise DomainError("invalid", "eta needs a time zone", field="eta")
    job = lock_job(job_id)
    require_station_staff(ctx, job.station_id)
    check_version(job, expected_version)
    if expected_plan_revision is not None and expected_plan_revision != job.plan_revision:
        raise DomainError(
            "version_conflict",
            f"job {job.pk} was re-planned since (plan revision {expected_plan_revision}, now {job.plan_revision})",
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
    job.planned_seq = planned_seq
    job.eta = eta
    save_job_plan(job, ["planned_seq", "eta"])
    if announce:
        feed_job("job.planned", job)
    return job
