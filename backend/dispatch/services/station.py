"""The station's plan for a day: every open job over every on-duty courier who has not set off yet.

Couriers who already started their day (a stop done, or on the way to one) keep their jobs and
are re-planned one by one (``courier_replan``): moving their stops in a global solve would undo
what they already memorised and loaded. For the others, the pending jobs and their not-started
jobs are solved together with PyVRP (``planning.solver``; above :data:`PARTITION_ABOVE` stops by
territories, ``planning.partition``). Jobs change courier through ``job_assign`` (an audit row each,
rule ``station_plan``), places and ETAs through ``job_set_plan``; jobs nobody can serve go to the
queue (unassigned if they were someone's) with an ``unassignable`` alert. One transaction: a job
that changed meanwhile makes the whole run a conflict and nothing is written.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.common.transient import retry_transient
from backend.couriers.models import Station
from backend.couriers.selectors import station_today
from backend.dispatch.models import AlertKind, DecisionKind, DecisionRule, PlanRun
from backend.dispatch.planning.model import PlanRequest
from backend.dispatch.planning.partition import STATION_ITERATIONS, solve_partitioned
from backend.dispatch.planning.solver import solve
from backend.dispatch.services.assignment import QUEUED, on_duty_couriers
from backend.dispatch.services.audit import alert_raise, alerts_resolve, decision_record
from backend.dispatch.services.planning import load_day, lock_routes, route_of, write_order
from backend.dispatch.services.routes import MATRIX, CourierDay, DayClock, build_days, job_stop, stop_id
from backend.shipments import feed
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services import job_assign, job_unassign
from backend.shipments.services.recording import require_station_staff
from backend.shipments.states import JobStatus

PARTITION_ABOVE = 1500


def _fresh(day: CourierDay) -> bool:
    """Not set off yet (nothing done, nothing started) and with some shift left to plan."""
    v = day.vehicle
    untouched = not v.done_stop_ids and all(j.status != JobStatus.STARTED for j in day.jobs.values())
    return untouched and v.start_time < v.shift_end


@retry_transient
def station_plan(
    *,
    station_id: int,
    ctx: Ctx,
    day: date | None = None,
    now: datetime | None = None,
    seed: int = 0,
    max_iterations: int | None = None,
    time_limit_s: float | None = None,
) -> PlanRun:
    """Plan the station's day (see the module docstring). Deterministic for a seed and an
    iteration budget (the default); ``time_limit_s`` trades that for a wall-clock bound."""
    station = Station.objects.filter(pk=station_id).first()
    if station is None:
        raise DomainError("not_found", f"station {station_id} not found")
    require_station_staff(ctx, station.pk)
    now = now or timezone.now()
    day = day or station_today(station, now)
    if max_iterations is None and time_limit_s is None:
        max_iterations = STATION_ITERATIONS
    run = PlanRun.objects.create(
        station=station, service_date=day, trigger="station plan", seed=seed, started_at=timezone.now()
    )
    days = [d for d in build_days(on_duty_couriers(station.pk), station, day, now) if _fresh(d)]
    clock = DayClock.of(station, day)
    pending = (
        Job.objects.filter(station=station, service_date=day, status=JobStatus.PENDING, on_hold=False)
        .select_related("shipment")
        .order_by("pk")
    )
    jobs = {stop_id(j.pk): j for j in pending} | {s: d.jobs[s] for d in days for s in d.remaining}
    stops = {s: d.stops[s] for d in days for s in d.remaining}
    stops |= {s: stop for s, j in jobs.items() if s not in stops and (stop := job_stop(j, clock)) is not None}
    request = PlanRequest(stops=tuple(stops.values()), vehicles=tuple(d.vehicle for d in days))
    if not days:
        plan = None
    elif len(stops) > PARTITION_ABOVE:
        plan = solve_partitioned(
            request, MATRIX, n_groups=2, time_limit_s=time_limit_s, max_iterations=max_iterations, seed=seed
        )
    else:
        plan = solve(request, MATRIX, time_limit_s=time_limit_s, max_iterations=max_iterations, seed=seed)
    routes = {int(r.vehicle_id): r.stop_ids for r in plan.routes} if plan else {}
    unserved = list(plan.unassigned) if plan else [s for s in stops]
    run.cost_before = sum(route_of(d, d.order).distance for d in days)
    run.cost_after = plan.cost if plan else 0
    run.diff = {
        "routes": {str(c): [int(s) for s in r] for c, r in routes.items()},
        "unassigned": sorted(int(s) for s in unserved),
        "feasible": bool(plan and plan.feasible),
    }
    try:
        with transaction.atomic(), feed.batch_joined():
            lock_routes(job_ids=[j.pk for j in jobs.values()], routes=[(d.courier.pk, day) for d in days])
            run.jobs_written = _write(run, days, routes, unserved, jobs, ctx, now)
    except DomainError as exc:
        run.outcome, run.finished_at = PlanRun.Outcome.CONFLICT, timezone.now()
        run.save()
        if exc.code == "version_conflict":
            raise DomainError(
                "version_conflict",
                "a job changed while the plan was computed; plan again",
                plan_run_id=run.pk,
            ) from exc
        raise
    run.applied = True
    run.outcome = PlanRun.Outcome.APPLIED if run.jobs_written else PlanRun.Outcome.UNCHANGED
    run.finished_at = timezone.now()
    run.save()
    return run


def _write(
    run: PlanRun,
    days: list[CourierDay],
    routes: dict[int, list[str]],
    unserved: list[str],
    jobs: dict[str, Job],
    ctx: Ctx,
    now: datetime,
) -> int:
    written = 0
    for cid, order in routes.items():
        for s in order:
            job = jobs[s]
            if job.courier_id == cid and job.status != JobStatus.PENDING:
                continue
            assigned = job_assign(
                job_id=job.pk,
                courier_id=cid,
                ctx=ctx,
                reason=f"station plan #{run.pk}",
                expected_version=job.version,
            )
            decision_record(
                job=assigned,
                courier_id=cid,
                prev_courier_id=job.courier_id,
                kind=DecisionKind.AUTO,
                rule=DecisionRule.STATION_PLAN,
                reason=f"station plan #{run.pk}: best route for the day",
                ctx=ctx,
            )
            written += 1
        alerts_resolve([int(s) for s in order], AlertKind.UNASSIGNABLE)
    for s in unserved:
        job = jobs[s]
        reason = f"{QUEUED} (station plan #{run.pk}: no route can meet its window, capacity or shift end)"
        if job.status != JobStatus.PENDING:
            job = job_unassign(job_id=job.pk, ctx=ctx, reason=reason, expected_version=job.version)
            written += 1
        decision_record(
            job=job,
            courier_id=None,
            prev_courier_id=jobs[s].courier_id,
            kind=DecisionKind.AUTO,
            rule=DecisionRule.QUEUED,
            reason=reason,
            ctx=ctx,
        )
        alert_raise(job=job, kind=AlertKind.UNASSIGNABLE, message=reason)
    for d in days:  # re-read: assignments above cleared places and bumped versions
        fresh = load_day(d.courier, d.clock.origin.date(), now)
        order = [s for s in routes.get(d.courier.pk, []) if s in fresh.stops]
        written += write_order(fresh, order + [s for s in fresh.remaining if s not in set(order)], ctx)
    return written
