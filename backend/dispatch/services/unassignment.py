"""A supervisor takes jobs back from their couriers to the queue (the console's unassigned lane).

The same policy as a bulk reassignment (``reassign_jobs``), in the other direction: a reason is
required; every job is locked (with the routes it leaves, in pk order) and checked against the
version the supervisor saw before anything moves; one refusal refuses the whole set with each job's
own code (``reassign_conflict``); each job is unassigned through ``job_unassign`` (the courier sees
a revocation and gets a re-plan) and gets its audit row (kind and rule ``supervisor``, no courier).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from backend.common.errors import DomainError
from backend.common.transient import retry_transient
from backend.dispatch.models import DecisionKind, DecisionRule
from backend.dispatch.services.audit import decision_record
from backend.dispatch.services.planning import lock_routes
from backend.dispatch.services.reassignment import (
    JobVersion,
    clean_reason,
    lock_jobs,
    raise_conflicts,
    stale_conflict,
)
from backend.shipments import feed
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services import job_unassign
from backend.shipments.services.recording import require_station_staff
from backend.shipments.states import JobStatus
from backend.shipments.transitions import job_can


def _conflict(job: Job | None, job_id: int, version: int) -> dict[str, object] | None:
    """Why this job cannot go back to the queue as the supervisor saw it, or None."""
    stale = stale_conflict(job, job_id, version)
    if stale is not None or job is None:
        return stale
    if job.courier_id is None or not job_can(job.status, JobStatus.PENDING):
        return {
            "job_id": job_id,
            "current_version": job.version,
            "current_status": job.status,
            "code": "invalid_transition",
            "message": f"job {job_id} is {job.status} and cannot go back to the queue",
        }
    return None


@retry_transient
def unassign_jobs(*, jobs: Sequence[JobVersion], reason: str, ctx: Ctx) -> list[Job]:
    """Put ``jobs`` (each with the version the supervisor saw) back in the queue; see the module doc.

    Returns the jobs as now stored, in pk order.
    """
    reason = clean_reason(reason)
    ids = [jv.job_id for jv in jobs]
    if not ids or len(set(ids)) != len(ids):
        raise DomainError("invalid", "give each job once, at least one", field="jobs")
    with transaction.atomic(), feed.batch_joined():
        seen = Job.objects.filter(pk__in=ids).values_list("courier_id", "service_date")
        lock_routes(job_ids=ids, routes={(c, d) for c, d in seen if c})  # the routes they leave, first
        locked = lock_jobs(ids)
        for job in locked.values():
            require_station_staff(ctx, job.station_id)
        raise_conflicts(
            [c for jv in jobs if (c := _conflict(locked.get(jv.job_id), jv.job_id, jv.version))], len(jobs)
        )
        for job in locked.values():
            queued = job_unassign(job_id=job.pk, ctx=ctx, reason=reason)
            decision_record(
                job=queued,
                courier_id=None,
                prev_courier_id=job.courier_id,
                kind=DecisionKind.SUPERVISOR,
                rule=DecisionRule.SUPERVISOR,
                reason=reason,
                ctx=ctx,
            )
    return list(Job.objects.select_related("shipment").filter(pk__in=ids).order_by("pk"))
