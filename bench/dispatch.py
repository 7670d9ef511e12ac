"""Dispatch planning benchmarks: one JSON line per result; exit 1 when a target is missed.

    .venv/bin/python bench/dispatch.py [solomon|gh1000|station|insert|assign|all] [--dir DIR]
        [--station-seconds 60] [--reference-seconds 600] [--quick]

Run from the repository root. Everything goes through backend.dispatch.planning, the same code
the dispatch service calls.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.dispatch.planning.baseline import nearest_neighbour_2opt
from backend.dispatch.planning.insertion import cheapest_insertion, route_state
from backend.dispatch.planning.matrix import HaversineMatrix, Point
from backend.dispatch.planning.model import Plan, PlanRequest, Stop, Vehicle
from backend.dispatch.planning.partition import solve_partitioned, split
from backend.dispatch.planning.replan import REPLAN_ITERATIONS, ReplanThreshold, repair_route
from backend.dispatch.planning.schedule import evaluate, onboard_load
from bench.day_model import SHIFT_END, day_stop, fleet, kind_and_window
from bench.dispatch_quality import CpuRuntime, bench_gh1000, bench_solomon
from bench.report import emit

STATION = Point(13.4050, 52.5200)
MATRIX = HaversineMatrix()
REFERENCE_TARGET_PCT = 2.0  # the 60 s station plan may cost at most this much more than the 600 s one


def synthetic_day(seed: int = 0, couriers: int = 30, per_courier: int = 150) -> PlanRequest:
    """A ~10 km × 10 km district around one station; 60 % deliveries, 20 % narrow (1 h) windows."""
    rng = random.Random(seed)
    stops = []
    for i in range(couriers * per_courier):
        kind, start, end = kind_and_window(rng)
        x = STATION.x + rng.uniform(-0.074, 0.074)
        y = STATION.y + rng.uniform(-0.045, 0.045)
        stops.append(day_stop(rng, i, kind, (start, end), x, y))
    return PlanRequest(stops=tuple(stops), vehicles=fleet(couriers, STATION))


def check_plan(request: PlanRequest, plan: Plan) -> int:
    """Independent re-simulation: number of routes breaking a window, the shift end or capacity."""
    by_id = {s.id: s for s in request.stops}
    vehicles = {v.id: v for v in request.vehicles}
    return sum(
        not evaluate(vehicles[r.vehicle_id], [by_id[s] for s in r.stop_ids], MATRIX).feasible
        for r in plan.routes
    )


def bench_station(seconds: float, reference_s: float, groups: int) -> bool:
    request = synthetic_day()
    t0 = time.perf_counter()
    plan = solve_partitioned(request, MATRIX, n_groups=groups, time_limit_s=seconds, seed=0)
    took = time.perf_counter() - t0
    bad = check_plan(request, plan)
    t1 = time.perf_counter()
    ref = solve_partitioned(request, MATRIX, n_groups=groups, time_limit_s=reference_s, seed=0)
    ref_took = time.perf_counter() - t1
    gap = 100 * (plan.cost - ref.cost) / ref.cost
    # The target compares a plan of at most 60 s with one of at least 10 minutes; shorter references
    # (development runs, --quick) only report the gap.
    judged = seconds <= 60 and reference_s >= 600
    ok = took <= 60 and bad == 0 and not plan.unassigned and (gap <= REFERENCE_TARGET_PCT or not judged)
    emit(
        bench="station",
        stops=len(request.stops),
        couriers=len(request.vehicles),
        groups=groups,
        seconds=round(took, 1),
        cost_m=plan.cost,
        unassigned=len(plan.unassigned),
        infeasible_routes=bad,
        reference_seconds=round(ref_took, 1),
        reference_cost_m=ref.cost,
        reference_unassigned=len(ref.unassigned),
        vs_reference_pct=round(gap, 2),
        target_seconds=60,
        target_vs_reference_pct=REFERENCE_TARGET_PCT,
        target_applies=judged,
        ok=ok,
    )
    return ok


def live_routes(request: PlanRequest, now: int) -> tuple[list[Vehicle], dict[str, Stop]]:
    """30 couriers mid-shift: one sector each, nearest-neighbour order, stops before ``now`` done."""
    by_id = {s.id: s for s in request.stops}
    live = []
    for part in split(request, len(request.vehicles)):
        plan = nearest_neighbour_2opt(part, MATRIX)
        v, route = part.vehicles[0], plan.routes[0]
        done = [x for x in route.visits if x.departure <= now]
        pos = by_id[done[-1].stop_id].point if done else v.depot
        live.append(
            replace(
                v,
                position=pos,
                position_time=done[-1].departure if done else now,
                done_stop_ids=tuple(x.stop_id for x in done),
                sequence=tuple(x.stop_id for x in route.visits[len(done) :]),
            )
        )
    return live, by_id


def bench_insert(samples: int, reference_cpu_s: float = 60.0) -> bool:
    request = synthetic_day(seed=1, per_courier=185)
    now = 3600  # 09:00: ~150 stops still ahead of each courier
    live, by_id = live_routes(request, now)
    t0 = time.perf_counter()
    states = [route_state(v, [by_id[s] for s in v.sequence], MATRIX, onboard_load(v, by_id)) for v in live]
    build_ms = 1000 * (time.perf_counter() - t0)
    rng = random.Random(7)
    times, found = [], 0
    for i in range(samples):
        start = rng.randrange(now + 1800, SHIFT_END - 3600, 900)
        new = Stop(
            f"new{i}",
            "pickup",
            STATION.x + rng.uniform(-0.074, 0.074),
            STATION.y + rng.uniform(-0.045, 0.045),
            start,
            start + 7200,
            180,
            2000,
            8000,
        )
        t = time.perf_counter()
        ins = cheapest_insertion(new, states, MATRIX)
        times.append(1000 * (time.perf_counter() - t))
        found += ins is not None
    p95 = statistics.quantiles(times, n=20)[18]
    remaining = [len(v.sequence) for v in live]
    emit(
        bench="insert",
        routes=len(live),
        remaining_stops_min=min(remaining),
        remaining_stops_max=max(remaining),
        samples=samples,
        inserted=found,
        p50_ms=round(statistics.median(times), 2),
        p95_ms=round(p95, 2),
        state_build_ms_all_routes=round(build_ms, 1),
        target_p95_ms=100,
        ok=p95 <= 100,
    )
    return p95 <= 100 and bench_replan(live, by_id, now, reference_cpu_s)


# Every gain counts: the reference keeps whichever of its solve and the current order is shorter.
NO_THRESHOLD = ReplanThreshold(min_relative=0.0, min_duration_s=0, min_distance_m=0)


def bench_replan(live: list[Vehicle], by_id: dict[str, Stop], now: int, reference_cpu_s: float) -> bool:
    """A courier's re-plan at the production budget (``REPLAN_ITERATIONS``, as ``courier_replan``
    runs it) after a new pickup joins a planned route: its time (target ≤ 5 s), and its route
    against a ``reference_cpu_s`` CPU-second solve of the same route (same stops, same start, same
    new pickup). The planned route is a 5 CPU-second solve from the morning (a station plan's share
    per route), not the nearest-neighbour start. Two gaps: ``fresh`` (the production solve's own best, the search's
    quality at that budget) and ``driven`` (the order the courier gets: the re-plan keeps the
    current one unless the gain passes its threshold, by design)."""
    seconds, fresh_gaps, driven_gaps = [], [], []
    for v in live[::6]:  # a mix of vans and e-tricycles
        # The morning's order: the station plan's share of search for one route (60 s on 2 cores
        # for 30 couriers ≈ 4 CPU-s each; 5 here), not a nearest-neighbour tour.
        planned = repair_route(v, by_id, MATRIX, threshold=NO_THRESHOLD, criterion=CpuRuntime(5.0))
        route = replace(v, sequence=planned.sequence)
        new = Stop(
            f"extra-{v.id}", "pickup", v.depot.x + 0.01, v.depot.y + 0.01, now, SHIFT_END, 180, 1000, 3000
        )
        t, c = time.perf_counter(), time.process_time()
        res = repair_route(route, by_id, MATRIX, new_stops=[new], max_iterations=REPLAN_ITERATIONS)
        seconds.append(time.perf_counter() - t)
        cpu = time.process_time() - c
        ref = repair_route(
            route,
            by_id,
            MATRIX,
            new_stops=[new],
            threshold=NO_THRESHOLD,
            criterion=CpuRuntime(reference_cpu_s),
        )
        best = ref.route.distance
        fresh_gaps.append(100 * (res.fresh_cost - best) / best)
        driven_gaps.append(100 * (res.route.distance - best) / best)
        emit(
            bench="replan",
            courier=v.id,
            stops=len(res.sequence),
            iterations=REPLAN_ITERATIONS,
            seconds=round(seconds[-1], 2),
            cpu_s=round(cpu, 2),
            reordered=res.reordered,
            current_m=res.current_cost,
            fresh_m=res.fresh_cost,
            driven_m=res.route.distance,
            feasible=res.route.feasible,
            reference_m=best,
            reference_cpu_s=reference_cpu_s,
            fresh_gap_pct=round(fresh_gaps[-1], 2),
            driven_gap_pct=round(driven_gaps[-1], 2),
            unassigned=list(res.diff.unassigned),
        )
    ok = max(seconds) <= 5
    emit(
        bench="replan",
        summary=True,
        couriers=len(seconds),
        max_seconds=round(max(seconds), 2),
        target_seconds=5,
        fresh_gap_pct_mean=round(statistics.mean(fresh_gaps), 2),
        fresh_gap_pct_max=round(max(fresh_gaps), 2),
        driven_gap_pct_mean=round(statistics.mean(driven_gaps), 2),
        driven_gap_pct_max=round(max(driven_gaps), 2),
        gap_target="reported (no target in issue 19)",
        ok=ok,
    )
    return ok


def default_data_dir() -> str:
    """``../shared/benchmarks/vrptw`` beside the checkout (a worktree one level deeper also finds it)."""
    root = Path(__file__).resolve().parents[1]
    for base in (root.parent, root.parent.parent):
        if (base / "shared" / "benchmarks" / "vrptw").is_dir():
            return str(base / "shared" / "benchmarks" / "vrptw")
    return "../shared/benchmarks/vrptw"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "which", nargs="?", default="all", choices=["solomon", "gh1000", "station", "insert", "assign", "all"]
    )
    ap.add_argument("--dir", default=default_data_dir())
    ap.add_argument("--budgets", default="1,5", help="solomon: wall-clock seconds per solve, comma-separated")
    ap.add_argument("--seeds", type=int, default=5, help="solomon: seeds 0..N-1 per instance and budget")
    ap.add_argument(
        "--paths",
        default="solve,stock,sector",
        help="solomon: solve (ours), stock (PyVRP's parameters), sector",
    )
    ap.add_argument("--only", default="", help="instances whose name starts with one of these (C1,R101,...)")
    ap.add_argument("--jobs", type=int, default=2, help="solomon: solves at once (processes)")
    ap.add_argument(
        "--clock",
        default="cpu",
        choices=["cpu", "wall"],
        help="solomon/gh1000: budget in CPU or wall seconds",
    )
    ap.add_argument("--gh-seconds", type=float, default=60.0)
    ap.add_argument("--gh-seed", type=int, default=1)
    ap.add_argument("--station-seconds", type=float, default=60.0)
    ap.add_argument("--reference-seconds", type=float, default=600.0)
    ap.add_argument(
        "--groups", type=int, default=2, help="territories for the station day (one per core measured best)"
    )
    ap.add_argument("--quick", action="store_true", help="short budgets for a smoke run")
    ap.add_argument(
        "--replan-reference-cpu-s",
        type=float,
        default=60.0,
        help="insert: CPU seconds of the reference solve each production re-plan is compared with",
    )
    ap.add_argument("--couriers", type=int, default=30, help="assign: on-duty couriers")
    ap.add_argument("--per-courier", type=int, default=150, help="assign: open jobs per courier")
    ap.add_argument("--calls", type=int, default=1000, help="assign: timed auto-assign calls")
    ap.add_argument("--warmup", type=int, default=20, help="assign: untimed first calls")
    ap.add_argument("--intake-calls", type=int, default=200, help="assign: intake + auto-assign pairs")
    ap.add_argument(
        "--reuse", default="", help="assign: a previous run's folder (plan.json): reuse its database"
    )
    ap.add_argument("--local-hour", type=int, default=10, help="assign: the station's hour of day now")
    ap.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/parcelrun",
    )
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/9")
    args = ap.parse_args()
    if args.quick:
        args.station_seconds, args.reference_seconds = 10.0, 20.0
        args.budgets, args.seeds, args.only, args.gh_seconds = "1", 1, args.only or "C101,R101,RC101", 10.0
    ok = True
    if args.which in ("solomon", "all"):
        ok &= bench_solomon(args, emit)
    if args.which in ("gh1000", "all"):
        ok &= bench_gh1000(args, emit)
    if args.which in ("station", "all"):
        ok &= bench_station(args.station_seconds, args.reference_seconds, args.groups)
    if args.which == "assign":  # not in "all": it needs PostgreSQL and a server
        from bench.dispatch_assign import run as bench_assign

        ok &= bench_assign(args)
    if args.which in ("insert", "all"):
        ok &= bench_insert(50 if args.quick else 500, 5.0 if args.quick else args.replan_reference_cpu_s)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
