"""Route plans from the database: a courier's re-plan, ETA refreshes, and writing an order back.

Every planned_seq/eta change goes through ``backend.shipments.services.planning.job_set_plan`` with
the version that was read, inside one transaction per run: if any job changed meanwhile the whole
run is rolled back and recorded as a conflict (and, for a courier, re-planned again shortly).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backend.common.errors import DomainError
from backend.common.transient import retry_transient
from backend.couriers.models import Courier
from backend.couriers.selectors import station_today
from backend.dispatch.models import AlertKind, DispatchAlert, PlanRun
from backend.dispatch.planning.replan import REPLAN_ITERATIONS, ReplanThreshold, repair_route
from backend.dispatch.planning.schedule import RouteEval, evaluate, onboard_load
from backend.dispatch.services.audit import alerts_raise, alerts_resolve
from backend.dispatch.services.routes import MATRIX, CourierDay, build_day, day_jobs, recent_pings
from backend.shipments import feed
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.selectors import job_snapshots
from backend.shipments.services.planning import PlannedJob, PlanWrite, jobs_set_plan
from backend.shipments.states import JobKind, JobStatus

ETA_WRITE_MIN_S = 60  # an ETA moving by less is not worth a plan write and a feed row to the handheld
# A delivery's ETA moving by at least this much (or appearing) is told to the recipient's page live,
# in a ``job.eta`` row addressed to the shipment only; smaller moves show on the page's next load.
PUBLIC_ETA_MIN_S = 300
THRESHOLD = ReplanThreshold()


def route_of(day: CourierDay, order: Sequence[str]) -> RouteEval:
    """Evaluate the courier's day driven in ``order``: distance, arrivals, lateness and feasibility."""
    return evaluate(day.vehicle, [day.stops[s] for s in order], MATRIX, onboard_load(day.vehicle, day.stops))


def _eta_changed(old: datetime | None, new: datetime | None, min_s: int = ETA_WRITE_MIN_S) -> bool:
    if old is None or new is None:
        return old is not new
    return abs((old - new).total_seconds()) >= min_s


# Every status a job on someone's route can have: what a route writer locks.
ROUTE_STATUSES = (JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.STARTED, JobStatus.ARRIVED)


def lock_routes(*, job_ids: Iterable[int] = (), routes: Iterable[tuple[int, date]] = ()) -> dict[int, Job]:
    """Lock, in one statement and in pk order, these jobs and every open job of these couriers' days.

    Dispatch services that write several routes take all their job locks this way before writing:
    two of them (a bulk reassignment and a "re-plan now" of a courier it takes jobs from) then lock
    overlapping sets in the same order, one waits for the other, and neither holds one job while
    waiting for another the other holds. The feed-counter lock comes after, at commit
    (``feed.batch_joined``). Returns the locked jobs by id.
    """
    query = Q(pk__in=list(job_ids))
    for courier_id, day in set(routes):
        query |= Q(courier_id=courier_id, service_date=day, status__in=ROUTE_STATUSES)
    rows = Job.objects.select_for_update(of=("self",), no_key=True).select_related("shipment").filter(query)
    return {j.pk: j for j in rows.order_by("pk")}


def lock_route_ids(*, job_ids: Iterable[int] = (), routes: Iterable[tuple[int, date]] = ()) -> list[int]:
    """``lock_routes`` (the same rows, the same order), answering the ids only: for a caller that
    reads the rows otherwise (a route writer holding its day, a unit of work's preload)."""
    query = Q(pk__in=list(job_ids))
    for courier_id, day in set(routes):
        query |= Q(courier_id=courier_id, service_date=day, status__in=ROUTE_STATUSES)
    rows = Job.objects.select_for_update(of=("self",), no_key=True).filter(query).order_by("pk")
    return list(rows.values_list("pk", flat=True))


def write_order(day: CourierDay, order: Sequence[str], ctx: Ctx, *, locked: bool = False) -> int:
    """Write the courier's remaining jobs as ``order`` (located stops) then the unlocated ones.

    Only jobs whose place or ETA changed are written (in one statement), each checked against the
    version and plan revision read into ``day`` and bumping only its plan revision; the route is announced in ONE
    ``route.planned`` change-feed row for the courier (their handheld and the station's board),
    not a row per job. Must run inside a transaction; returns how many jobs were written.
    ``locked``: the caller already holds every one of the route's rows (a bulk reassignment).
    """
    return len(write_route(day, order, ctx, locked=locked))


def write_route(day: CourierDay, order: Sequence[str], ctx: Ctx, *, locked: bool = False) -> list[PlannedJob]:
    """``write_order``, answering the jobs written as they now stand (for a caller that keeps the
    route it wrote: ``warm_days.keep_written``)."""
    assert transaction.get_connection().in_atomic_block, "write_order needs a transaction"
    route = route_of(day, order)
    eta: dict[str, datetime | None] = {v.stop_id: day.clock.at(v.arrival) for v in route.visits}
    rows = [(day.jobs[s], seq, eta[s]) for seq, s in enumerate(order)]
    rows += [(job, len(order) + i, None) for i, job in enumerate(day.unlocated)]
    changed = [
        (job, seq, new_eta)
        for job, seq, new_eta in rows
        if job.planned_seq != seq or _eta_changed(job.eta, new_eta)
    ]
    # One lock statement and one UPDATE for the whole route (jobs_set_plan), not a write per job;
    # the route's unchanged jobs are locked in the same statement (``lock``) unless the caller holds
    # them already. A route with nothing to write locks nothing: it writes nothing.
    written = jobs_set_plan(
        plans=[
            PlanWrite(job.pk, seq, new_eta, job.version, job.plan_revision) for job, seq, new_eta in changed
        ],
        ctx=ctx,
        lock=() if locked else [*(j.pk for j in day.jobs.values()), *(j.pk for j in day.unlocated)],
    )
    customers = [
        stored
        for stored, (job, _, new_eta) in zip(written, changed, strict=True)
        if stored.kind == JobKind.DELIVERY and _eta_changed(job.eta, new_eta, PUBLIC_ETA_MIN_S)
    ]
    if written:
        announce_route(day, written)
    snapshots = job_snapshots([j.id for j in customers])  # as written: this transaction's rows
    for j in customers:  # the customer's page only (no courier, no station): see PUBLIC_ETA_MIN_S
        feed.append("job.eta", {"job": snapshots[j.id]}, shipment_id=j.shipment_id, job_id=j.id)
    return written


def announce_route(day: CourierDay, written: Sequence[PlannedJob]) -> None:
    """One ``route.planned`` row for the courier's jobs whose place or ETA just changed."""
    payload = {
        "route": {
            "courier_id": day.courier.pk,
            "service_date": day.clock.origin.date().isoformat(),
            "jobs": [
                {
                    "id": j.id,
                    "planned_seq": j.planned_seq,
                    "eta": _iso(j.eta),
                    "version": j.version,
                    "plan_revision": j.plan_revision,
                }
                for j in sorted(written, key=lambda j: j.id)
            ],
        }
    }
    feed.append("route.planned", payload, station_id=day.courier.station_id, courier_id=day.courier.pk)


def load_day(courier: Courier, day: date, now: datetime) -> CourierDay:
    """Read a courier's day (their jobs of ``day``, route clock and last fresh ping) for planning, without locking."""
    jobs = day_jobs([courier.pk], day)[courier.pk]
    return build_day(
        courier, courier.station, day, now, jobs, recent_pings([courier.pk], now).get(courier.pk)
    )


def courier_get(courier_id: int) -> Courier:
    """The courier with their station, or ``not_found``."""
    courier = Courier.objects.select_related("station").filter(pk=courier_id).first()
    if courier is None:
        raise DomainError("not_found", f"courier {courier_id} not found")
    return courier


def _previous_sequence(courier_id: int, day: date) -> list[int]:
    last = (
        PlanRun.objects.filter(courier_id=courier_id, service_date=day, applied=True)
        .order_by("-started_at", "-pk")
        .values_list("diff", flat=True)
        .first()
    )
    return list((last or {}).get("sequence", []))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


@retry_transient
def courier_replan(
    *,
    courier_id: int,
    trigger: str,
    ctx: Ctx | None = None,
    now: datetime | None = None,
    day: date | None = None,
    seed: int = 0,
    max_iterations: int = REPLAN_ITERATIONS,
) -> PlanRun:
    """Re-plan one courier with minimal perturbation (``planning.replan``) and write the result.

    Done stops stay fixed, unplanned jobs are inserted, and the order changes only for a gain over
    :data:`THRESHOLD`. Stops the route cannot serve any more stay last on the courier's list and
    raise an ``at_risk`` alert. Returns the recorded :class:`PlanRun` (its ``diff`` is what the
    courier and the supervisor see); raises ``version_conflict`` (after recording the run and
    asking for another re-plan) when a job changed while this one was computed.
    """
    ctx = ctx or Ctx.system()
    courier = courier_get(courier_id)
    now = now or timezone.now()
    day = day or station_today(courier.station, now)
    run = PlanRun(
        station_id=courier.station_id,
        courier=courier,
        service_date=day,
        trigger=trigger[:200],
        seed=seed,
        started_at=timezone.now(),
    )
    cday = load_day(courier, day, now)
    if not cday.remaining:
        with transaction.atomic(), feed.batch_joined():
            run.jobs_written = write_order(cday, [], ctx)
        return _finish(run, {"sequence": [int(j.pk) for j in cday.unlocated]}, applied=True)
    if cday.vehicle.start_time < cday.vehicle.shift_end:
        result = repair_route(
            cday.vehicle,
            cday.stops,
            MATRIX,
            new_stops=[cday.stops[s] for s in cday.new],
            threshold=THRESHOLD,
            max_iterations=max_iterations,
            seed=seed,
        )
        sequence, unserved, reordered = list(result.sequence), list(result.diff.unassigned), result.reordered
        moved, added, costs = (
            list(result.diff.moved),
            list(result.diff.added),
            (result.current_cost, result.fresh_cost),
        )
    else:  # the shift is over: nothing can be planned any more; keep the order, flag every stop
        sequence, unserved, reordered, moved, added, costs = (
            [],
            cday.remaining,
            False,
            [],
            list(cday.new),
            (0, 0),
        )
    order = [*sequence, *unserved]
    route = route_of(cday, order)
    old_route = route_of(cday, cday.order)
    now_ids = {int(s) for s in order} | {j.pk for j in cday.unlocated} | {j.pk for j in cday.jobs.values()}
    eta_new = {v.stop_id: cday.clock.at(v.arrival) for v in route.visits}
    diff: dict[str, Any] = {
        "sequence": [int(s) for s in order] + [j.pk for j in cday.unlocated],
        "moved": [int(s) for s in moved],
        "added": [int(s) for s in added],
        "removed": [i for i in _previous_sequence(courier.pk, day) if i not in now_ids],
        "at_risk": [int(s) for s in unserved],
        "late": [int(s) for s in cday.late],
        "unlocated": [j.pk for j in cday.unlocated],
        "reordered": reordered,
        "repaired_cost": costs[0],
        "fresh_cost": costs[1],
        "eta": {s: {"old": _iso(cday.jobs[s].eta), "new": _iso(eta_new.get(s))} for s in order},
    }
    run.cost_before, run.cost_after, run.reordered = old_route.distance, route.distance, reordered
    try:
        with transaction.atomic(), feed.batch_joined():
            run.jobs_written = write_order(cday, order, ctx)
            _flag_at_risk(cday, unserved, [s for s in sequence if s not in cday.late])
    except DomainError as exc:
        if exc.code != "version_conflict":
            raise
        _finish(run, diff, applied=False, conflict=True)
        from backend.dispatch.services.debounce import replan_soon

        replan_soon(courier_id=courier.pk, trigger="retry after a conflict")
        raise
    return _finish(run, diff, applied=True)


def _flag_at_risk(cday: CourierDay, unserved: Sequence[str], fine: Sequence[str]) -> None:
    """Open (or refresh) the at-risk alerts of the stops the route cannot serve or serves late, and
    close those of the stops it serves in time: a constant number of statements, whatever the
    number of stops (a courier at the shift's end has all of theirs flagged in one re-plan)."""
    who = cday.courier.employee_no
    late = [s for s in cday.late if s not in unserved]
    alerts_raise(
        jobs=[cday.jobs[s] for s in unserved],
        kind=AlertKind.AT_RISK,
        courier_id=cday.courier.pk,
        message=f"{who}'s route cannot serve this job within its window, capacity or shift",
    )
    alerts_raise(
        jobs=[cday.jobs[s] for s in late],
        kind=AlertKind.AT_RISK,
        courier_id=cday.courier.pk,
        message=f"{who} can no longer make this job's window: it will be served late",
    )
    alerts_resolve([int(s) for s in fine], AlertKind.AT_RISK)


def _finish(run: PlanRun, diff: dict[str, Any], *, applied: bool, conflict: bool = False) -> PlanRun:
    run.diff = diff
    run.applied = applied
    if conflict:
        run.outcome = PlanRun.Outcome.CONFLICT
    else:
        run.outcome = PlanRun.Outcome.APPLIED if run.jobs_written else PlanRun.Outcome.UNCHANGED
    run.finished_at = timezone.now()
    run.save()
    return run


@retry_transient
def courier_refresh_etas(
    *, courier_id: int, ctx: Ctx | None = None, now: datetime | None = None
) -> tuple[int, bool]:
    """Recompute the remaining ETAs from where the courier is now, keeping the order.

    For "the courier arrived / completed a stop" and the periodic check. Returns (jobs written,
    behind): ``behind`` when a remaining stop will now miss its window or the route its shift end,
    which is worth a re-plan.
    """
    ctx = ctx or Ctx.system()
    courier = courier_get(courier_id)
    now = now or timezone.now()
    cday = load_day(courier, station_today(courier.station, now), now)
    order = cday.remaining
    with transaction.atomic(), feed.batch_joined():
        written = write_order(cday, order, ctx)
    flagged = set(
        DispatchAlert.objects.filter(
            job_id__in=[int(s) for s in cday.late], kind=AlertKind.AT_RISK, resolved_at__isnull=True
        ).values_list("job_id", flat=True)
    )
    newly_late = [s for s in cday.late if int(s) not in flagged]
    return written, bool(newly_late) or not route_of(cday, order).feasible
