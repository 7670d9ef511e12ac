"""A supervisor moves one job or several to another courier: one policy, whichever door it comes in by.

``job_reassign`` is the operation for one job, and every entry point that gives a job to a courier
on a person's say-so calls it (``POST /jobs/{id}/assign``, the socket command ``job.reassign``);
``reassign_jobs`` (``POST /reassignments``, the console's drop) applies the same policy to a whole
set in one pass: checked first, then written set-based in one transaction (see its doc). The
policy: a reason is required (the single-job entry points that predate it supply
:data:`DEFAULT_REASON` when the client sends none), the receiving courier must be on duty at the
job's station, the move is audited, the job takes its cheapest place in the receiving route, the
giving route closes its gap and both couriers get a debounced re-plan.

Bulk, all or nothing: every job is locked (pk order) and checked first; if any one cannot move — it
changed since the supervisor loaded it (``version_conflict``), it was completed meanwhile, for
instance offline before the handheld synced (``already_done``: the completion stands), it is
closed or in a state that cannot be reassigned — nothing moves and the answer lists each job
with its own code (``reassign_conflict``). A reason is required; each moved job gets an audit
row (:class:`~backend.dispatch.models.AssignmentDecision`, kind ``supervisor``, with the actor).
Both couriers are told through their change feeds (``job_assign`` writes ``job.assigned`` with
the previous courier), the receiving route takes each job at its cheapest feasible position (at
the end, flagged ``at_risk``, when none is feasible: the supervisor's call stands), the giving
routes close their gaps, and all touched couriers get a debounced re-plan. Where a job goes in its
new route is placement.py's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.common.transient import retry_transient
from backend.couriers.models import Courier, DutyStatus
from backend.dispatch.models import AlertKind, DecisionKind, DecisionRule
from backend.dispatch.services.audit import alerts_resolve, decision_record
from backend.dispatch.services.debounce import replan_soon
from backend.dispatch.services.placement import place_many
from backend.dispatch.services.planning import (
    courier_get,
    load_day,
    lock_route_ids,
    lock_routes,
    write_order,
)
from backend.dispatch.services.routes import (
    DONE,
    REMAINING,
    CourierDay,
    build_day,
    recent_pings,
)
from backend.shipments import feed
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services import job_assign, jobs_assign
from backend.shipments.services.recording import lock_job, require_station_staff
from backend.shipments.services.unit import unit_of_work
from backend.shipments.states import JobStatus
from backend.shipments.transitions import job_can

# What the single-job entry points record when the client gives no reason (documented in
# docs/api.md and docs/realtime.md): a stable code rather than an empty string in the audit trail.
DEFAULT_REASON = "supervisor_edit"


@dataclass(frozen=True)
class JobVersion:
    """A job as the supervisor saw it: its id and the version they loaded."""

    job_id: int
    version: int


@dataclass(frozen=True)
class Reassigned:
    """One job moved: as now stored, and whether its new route cannot meet its window."""

    job: Job
    at_risk: bool


def clean_reason(reason: str) -> str:
    """The reason without surrounding blanks; ``invalid`` (field ``reason``) when nothing is left."""
    reason = reason.strip()
    if not reason:
        raise DomainError("invalid", "a reason is required", field="reason")
    return reason


def stale_conflict(job: Job | None, job_id: int, version: int) -> dict[str, object] | None:
    """What stops any supervisor's move of a job as they saw it: gone, finished, cancelled, or
    changed since (the same for a reassignment and for sending it back to the queue)."""
    if job is None:
        return {"job_id": job_id, "code": "not_found", "message": f"job {job_id} not found"}
    base: dict[str, object] = {"job_id": job_id, "current_version": job.version, "current_status": job.status}
    if job.status == JobStatus.COMPLETED:
        return {
            **base,
            "code": "already_done",
            "message": f"job {job_id} was already completed by courier {job.courier_id}; the completion stands",
        }
    if job.status == JobStatus.CANCELLED:
        return {**base, "code": "job_closed", "message": f"job {job_id} was cancelled"}
    if job.version != version:
        return {
            **base,
            "code": "version_conflict",
            "message": f"job {job_id} changed since you loaded it (version {version}, now {job.version})",
        }
    return None


def job_conflict(
    job: Job | None, job_id: int, version: int, to_courier_id: int | None
) -> dict[str, object] | None:
    """Why this job cannot be moved as the supervisor saw it, or None."""
    stale = stale_conflict(job, job_id, version)
    if stale is not None or job is None:
        return stale
    if not job_can(job.status, JobStatus.ASSIGNED) or (
        to_courier_id is not None and job.courier_id == to_courier_id and job.status == JobStatus.ASSIGNED
    ):
        return {
            "job_id": job_id,
            "current_version": job.version,
            "current_status": job.status,
            "code": "invalid_transition",
            "message": f"job {job_id} is {job.status} and cannot be given to this courier",
        }
    return None


def raise_conflicts(conflicts: list[dict[str, object]], total: int) -> None:
    """Refuse a whole bulk move with ``reassign_conflict`` listing each job's own code, if there is any."""
    if conflicts:
        raise DomainError(
            "reassign_conflict",
            f"{len(conflicts)} of {total} jobs cannot be moved; nothing was changed",
            conflicts=conflicts,
        )


def lock_jobs(ids: Iterable[int]) -> dict[int, Job]:
    """Lock the jobs (only the job rows) in pk order, the order every service locks jobs in; by id."""
    rows = (
        Job.objects.select_for_update(of=("self",), no_key=True)
        .select_related("shipment")
        .filter(pk__in=list(ids))
    )
    return {j.pk: j for j in rows.order_by("pk")}


def receiving_courier(courier_id: int, ctx: Ctx) -> Courier:
    """The courier jobs are moved to: visible to the actor and on duty, else ``courier_not_on_duty``."""
    courier = courier_get(courier_id)
    require_station_staff(ctx, courier.station_id)
    if courier.duty_status != DutyStatus.ON_DUTY:
        raise DomainError("courier_not_on_duty", f"courier {courier.employee_no} is {courier.duty_status}")
    return courier


def close_gaps(routes: Iterable[tuple[int | None, date]], now: datetime, ctx: Ctx) -> None:
    """Renumber and re-time the routes jobs were taken from (same order, no gaps)."""
    for courier_id, service_date in sorted((c, d) for c, d in set(routes) if c is not None):
        cday = load_day(courier_get(courier_id), service_date, now)
        write_order(cday, cday.remaining, ctx)


@retry_transient
def job_reassign(
    *,
    job_id: int,
    to_courier_id: int,
    reason: str,
    ctx: Ctx,
    expected_version: int | None = None,
    now: datetime | None = None,
    rule: DecisionRule = DecisionRule.SUPERVISOR,
    added: tuple[int | None, int | None] = (None, None),
) -> Reassigned:
    """Give one job to ``to_courier_id`` on a supervisor's (or admin's) decision.

    The job may be pending (a first assignment), someone else's, or failed (a re-attempt). Checks,
    in order: a non-blank ``reason`` (``invalid``), the job exists and is the actor's station's
    (``not_found``, ``permission_denied``), the receiver works at the job's station
    (``courier_other_station``) and is on duty (``courier_not_on_duty``), ``expected_version``
    (``version_conflict``) and the transition (``invalid_transition``, via ``job_assign``).
    Writes, in one transaction: the assignment (``job.assigned`` with the previous courier, who
    sees a revocation), an :class:`~backend.dispatch.models.AssignmentDecision` (kind and rule
    ``supervisor``, the reason, the actor), the job's place in the receiving route (its cheapest
    feasible position, else last with an ``at_risk`` alert), the giving route's gap closed, and a
    debounced re-plan for both couriers. Joins the caller's transaction and feed batch when there
    is one; the change-feed rows are written last (``feed.batch_joined``). ``rule`` and ``added``
    (metres, seconds) go into the audit row: "courier unavailable" moves through here too.
    """
    reason = clean_reason(reason)
    now = now or timezone.now()
    with transaction.atomic(), feed.batch_joined():
        seen = Job.objects.filter(pk=job_id).values_list("courier_id", "service_date").first()
        if seen is not None:  # both routes this move rewrites, locked up front in pk order
            lock_routes(job_ids=[job_id], routes=[(c, seen[1]) for c in (to_courier_id, seen[0]) if c])
        job = lock_job(job_id)
        require_station_staff(ctx, job.station_id)
        to = courier_get(to_courier_id)
        if to.station_id != job.station_id:  # before the duty check: the answer clients know
            raise DomainError("courier_other_station", f"courier {to.employee_no} works at another station")
        to = receiving_courier(to_courier_id, ctx)
        prev = job.courier_id
        day = load_day(to, job.service_date, now)  # read before the assignment clears the job's plan
        assigned = job_assign(
            job_id=job.pk, courier_id=to.pk, ctx=ctx, reason=reason, expected_version=expected_version
        )
        decision_record(
            job=assigned,
            courier_id=to.pk,
            prev_courier_id=prev,
            kind=DecisionKind.SUPERVISOR,
            rule=rule,
            reason=reason,
            ctx=ctx,
            added_m=added[0],
            added_s=added[1],
        )
        at_risk = place_many(day, [assigned], ctx)
        alerts_resolve([job.pk], AlertKind.UNASSIGNABLE)
        if prev is not None and prev != to.pk:
            close_gaps([(prev, job.service_date)], now, ctx)
        for courier_id in sorted({to.pk, *([prev] if prev is not None else [])}):
            replan_soon(courier_id=courier_id, trigger="reassignment")
    return Reassigned(
        job=Job.objects.select_related("shipment", "courier").get(pk=job.pk), at_risk=bool(at_risk)
    )


@retry_transient
def reassign_jobs(
    *, jobs: Sequence[JobVersion], to_courier_id: int, reason: str, ctx: Ctx, now: datetime | None = None
) -> tuple[list[Job], list[int]]:
    """Move ``jobs`` (each with the version the supervisor saw) to one courier; see the module doc.

    One pass, whatever the number of jobs: every route the move rewrites is locked (pk order), the
    jobs checked, then, in one unit of work (``backend.shipments.services.unit``): every job
    assigned (``jobs_assign``: the same checks, event and ``job.assigned`` row as ``job_assign``),
    an audit row each, the receiving route built once with all of them placed tightest window
    first (so the tight ones get the good places), each giving route closed once, the re-plans
    asked; the writes go out set-based at the end and the feed rows last. Returns the moved jobs as
    now stored and the ids placed at risk.
    """
    reason = clean_reason(reason)
    ids = [jv.job_id for jv in jobs]
    if not ids or len(set(ids)) != len(ids):
        raise DomainError("invalid", "give each job once, at least one", field="jobs")
    to = receiving_courier(to_courier_id, ctx)
    now = now or timezone.now()
    with transaction.atomic(), feed.batch_joined():
        seen = Job.objects.filter(pk__in=ids).values_list("courier_id", "service_date")
        routes = {(c, d) for c, d in seen if c} | {(to.pk, d) for _, d in seen}
        held = lock_route_ids(job_ids=ids, routes=routes)  # every route the moves rewrite, in pk order, first
        with unit_of_work() as unit:
            unit.preload(held)  # the same rows, now with their shipments: the unit's own copies
            locked = {i: unit.jobs[i] for i in ids if i in unit.jobs}
            _check_all(jobs, locked, to, ctx)
            moving = sorted(locked.values(), key=_tightest_first(now))
            prev = {j.pk: j.courier_id for j in moving}
            days = _route_days(routes, unit.jobs, set(locked), now)  # before the assignments clear the plans
            assigned = jobs_assign(
                job_ids=[j.pk for j in moving], courier_id=to.pk, ctx=ctx, reason=reason, replan=False
            )
            for job in assigned:
                decision_record(
                    job=job,
                    courier_id=to.pk,
                    prev_courier_id=prev[job.pk],
                    kind=DecisionKind.SUPERVISOR,
                    rule=DecisionRule.SUPERVISOR,
                    reason=reason,
                    ctx=ctx,
                )
            at_risk: list[int] = []
            for (courier_id, day), cday in sorted(days.items()):
                if courier_id == to.pk:
                    at_risk += place_many(
                        cday, [j for j in assigned if j.service_date == day], ctx, locked=True
                    )
                else:  # a giving route: the same order without the jobs that left it, renumbered and re-timed
                    write_order(cday, cday.remaining, ctx, locked=True)
            alerts_resolve(ids, AlertKind.UNASSIGNABLE)
        for courier_id in sorted({c for c, _ in routes}):
            replan_soon(courier_id=courier_id, trigger="reassignment")
    # The unit's rows are what was written (it held them locked and wrote them whole): no re-read.
    return sorted(assigned, key=lambda j: j.pk), at_risk


def _check_all(jobs: Sequence[JobVersion], locked: dict[int, Job], to: Courier, ctx: Ctx) -> None:
    """Every job checked before anything moves; ``reassign_conflict`` listing each one that cannot."""
    for job in locked.values():
        require_station_staff(ctx, job.station_id)
    conflicts = [c for jv in jobs if (c := job_conflict(locked.get(jv.job_id), jv.job_id, jv.version, to.pk))]
    conflicts += [
        {"job_id": j.pk, "code": "courier_other_station", "message": f"job {j.pk} belongs to another station"}
        for j in locked.values()
        if j.station_id != to.station_id
    ]
    raise_conflicts(conflicts, len(jobs))


def _route_days(
    routes: set[tuple[int, date]], held: dict[int, Job], moving: set[int], now: datetime
) -> dict[tuple[int, date], CourierDay]:
    """Each route's day as it will be once the moving jobs have left it (they are placed afresh in
    the receiving route), built from the unit's locked rows: a few queries for all the routes."""
    couriers = {
        c.pk: c for c in Courier.objects.select_related("station").filter(pk__in={c for c, _ in routes})
    }
    out: dict[tuple[int, date], CourierDay] = {}
    for day in sorted({d for _, d in routes}):
        ids = sorted(c for c, d in routes if d == day)
        done = Job.objects.filter(courier_id__in=ids, service_date=day, status__in=DONE).exclude(
            pk__in=list(held)
        )
        rows: dict[int, list[Job]] = {cid: [] for cid in ids}
        for job in [*held.values(), *done.select_related("shipment")]:
            if job.courier_id in rows and job.service_date == day and job.status in (*DONE, *REMAINING):
                rows[job.courier_id].append(job)
        pings = recent_pings(ids, now)
        for cid in ids:
            mine = [j for j in rows[cid] if j.pk not in moving]
            out[(cid, day)] = build_day(couriers[cid], couriers[cid].station, day, now, mine, pings.get(cid))
    return out


def _tightest_first(now: datetime) -> Callable[[Job], tuple[bool, datetime, int]]:
    return lambda j: (j.window_end is None, j.window_end or now, j.pk)
