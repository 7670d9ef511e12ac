"""Station days with a reference that is not our planner: generator, reference runs, evaluation.

    .venv/bin/python bench/station_days.py list
    .venv/bin/python bench/station_days.py reference [--days d1-uniform,...] [--reference-seconds 3600] [--runs 3]
    .venv/bin/python bench/station_days.py evaluate [--days ...] [--seconds 60] [--runs 10] [--default-budget]

Days are generated from a seed and a layout (no data files): 30 couriers (20 vans, 10 e-tricycles)
× 150 stops around one station, 60 % deliveries, 20 % with 1-hour windows, shift 10 h; layouts
``uniform`` (10 × 10 km), ``clustered`` (residential districts: 6–10 Gaussian clusters, 80 % of
stops) and ``corridor`` (a long strip along a main road). Days ``d1``/``d2`` are for tuning,
``d3``–``d6`` for the reported figures.

``reference``: plain PyVRP (``solver.solve``, the whole unsplit day, one process) for
``--reference-seconds`` CPU seconds per run until the day holds ``--runs`` runs (``--new-runs`` caps
the runs made by one call: the runs accumulate in the committed ``bench/station_refs/DAY.json``
across working sessions, each with its seed, CPU and wall time and machine load); the best plan
that the independent checker (``bench/route_checker.py``) passes is the reference. Run it pinned
to a core (``taskset -c 1``) so the CPU budget is also about the wall time. ``evaluate``: the
product's large-day planner (``solve_partitioned``, 2 territories) at ``--seconds`` and, with
``--default-budget``, at the shipped default (``STATION_ITERATIONS`` per territory); every plan is
checked; median and p90 gap to the reference. Target: median ≤ 2 % at 60 s.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backend.dispatch.planning.matrix import HaversineMatrix, Point
from backend.dispatch.planning.model import PlanRequest
from backend.dispatch.planning.partition import solve_partitioned
from backend.dispatch.planning.solver import solve, stock_params
from bench.day_model import day_stop, fleet, kind_and_window
from bench.dispatch_quality import CpuRuntime
from bench.report import emit
from bench.route_checker import check_routes

STATION = Point(120.13, 30.28)
MATRIX = HaversineMatrix()
KM = 1 / 111.195  # degrees of latitude per km
REFS = Path(__file__).resolve().parent / "station_refs"
DAYS = {
    "d1-uniform": (1, "uniform"),
    "d2-clustered": (2, "clustered"),
    "d3-uniform": (3, "uniform"),
    "d4-clustered": (4, "clustered"),
    "d5-clustered": (5, "clustered"),
    "d6-corridor": (6, "corridor"),
}
TARGET_MEDIAN_PCT = 2.0
REFERENCE_RUNS = 3  # the best of at least three runs is the reference


def _place(rng: random.Random, layout: str, centres: list[tuple[float, float]]) -> tuple[float, float]:
    """(east km, north km) of one stop."""
    if layout == "clustered" and rng.random() < 0.8:
        cx, cy = rng.choice(centres)
        return cx + rng.gauss(0, 0.6), cy + rng.gauss(0, 0.6)
    if layout == "corridor":
        return rng.uniform(-9, 9), rng.gauss(0, 0.8)
    return rng.uniform(-5, 5), rng.uniform(-5, 5)


def station_day(name: str, couriers: int = 30, per_courier: int = 150) -> PlanRequest:
    seed, layout = DAYS[name]
    rng = random.Random(seed)
    centres = [(rng.uniform(-5, 5), rng.uniform(-5, 5)) for _ in range(rng.randint(6, 10))]
    lng_km = KM / math.cos(math.radians(STATION.y))
    stops = []
    for i in range(couriers * per_courier):
        east, north = _place(rng, layout, centres)
        kind, start, end = kind_and_window(rng)
        x, y = STATION.x + east * lng_km, STATION.y + north * KM
        stops.append(day_stop(rng, i, kind, (start, end), x, y))
    return PlanRequest(stops=tuple(stops), vehicles=fleet(couriers, STATION))


def _checked(request: PlanRequest, plan: object) -> tuple[dict[str, list[str]], int, list[str]]:
    routes = {r.vehicle_id: r.stop_ids for r in plan.routes}  # type: ignore[attr-defined]
    rep = check_routes(request, routes, MATRIX)
    return routes, rep.distance, rep.violations


def _load_ref(name: str) -> dict[str, Any] | None:
    path = REFS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def reference(days: list[str], seconds: float, runs: int, new_runs: int | None) -> bool:
    """Add runs to each day's reference until it holds ``runs`` of ``seconds`` CPU seconds.

    Runs accumulate in the committed file (three one-hour runs of four days do not fit in one
    working session on two cores): each run is recorded with its seed, CPU and wall time and load,
    and the best checked plan is the reference. ``new_runs`` caps the runs made by this call."""
    REFS.mkdir(exist_ok=True)
    ok = True
    made = 0
    for name in days:
        ref = _load_ref(name) or {"day": name, "runs": []}
        done = [r for r in ref["runs"] if r["budget_cpu_s"] == seconds]
        if len(done) < len(ref["runs"]):
            emit(bench="station_ref", day=name, error="runs of another budget in the file", ok=False)
            ok = False
            continue
        request = station_day(name)
        seeds = {r["seed"] for r in done}
        while len(done) < runs and (new_runs is None or made < new_runs):
            seed = next(i for i in range(1000) if i not in seeds)
            t0, c0 = time.perf_counter(), time.process_time()
            plan = solve(request, MATRIX, seed=seed, stop=CpuRuntime(seconds), params=stock_params())
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            routes, distance, bad = _checked(request, plan)
            run = {
                "seed": seed,
                "budget_cpu_s": seconds,
                "cpu_s": round(cpu, 1),
                "wall_s": round(wall, 1),
                "distance_m": distance,
                "violations": len(bad),
                "first_violations": bad[:3],
                "loadavg": [round(v, 2) for v in os.getloadavg()],
                "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            emit(bench="station_ref", day=name, **run)
            done.append(run)
            seeds.add(seed)
            made += 1
            if not bad and ("distance_m" not in ref or distance < ref["distance_m"]):
                ref |= {"distance_m": distance, "seed": seed, "routes": routes}
            ref |= {
                "solver": "solver.solve with stock_params() (stock PyVRP, unsplit, CPU-second stopping criterion)",
                "reference_seconds": seconds,
                "runs": done,
            }
            # Written after every run: a session that ends mid-way keeps the runs it finished.
            (REFS / f"{name}.json").write_text(json.dumps(ref))
        if "distance_m" not in ref:
            ok = False
            emit(bench="station_ref", day=name, error="no run passed the checker", ok=False)
            continue
        emit(
            bench="station_ref",
            day=name,
            best_m=ref["distance_m"],
            budget_cpu_s=seconds,
            runs=len(done),
            runs_asked=runs,
            complete=len(done) >= runs,
            ok=True,
        )
    return ok


def evaluate(days: list[str], seconds: float, runs: int, default_budget: bool) -> bool:
    from backend.dispatch.planning.partition import STATION_ITERATIONS  # the shipped default

    ok = True
    budgets: list[tuple[str, float | None, int | None]] = [(f"{seconds:g}s", seconds, None)]
    if default_budget:
        budgets.append((f"default {STATION_ITERATIONS} iterations", None, STATION_ITERATIONS))
    for label, limit, iterations in budgets:
        gaps = []
        complete = True
        for name in days:
            ref = _load_ref(name)
            if ref is None or "distance_m" not in ref:
                emit(
                    bench="station",
                    day=name,
                    error=f"no checked reference in {REFS / (name + '.json')}: run 'reference' first",
                    ok=False,
                )
                ok = False
                continue
            ref_runs = len(ref["runs"])
            complete &= ref_runs >= REFERENCE_RUNS
            request = station_day(name)
            for seed in range(runs if limit is not None else 1):  # an iteration budget is deterministic
                t0 = time.perf_counter()
                plan = solve_partitioned(
                    request, MATRIX, n_groups=2, time_limit_s=limit, max_iterations=iterations, seed=seed
                )
                took = time.perf_counter() - t0
                _, distance, bad = _checked(request, plan)
                gap = 100 * (distance - ref["distance_m"]) / ref["distance_m"]
                gaps.append(gap)
                ok &= not bad
                emit(
                    bench="station",
                    day=name,
                    budget=label,
                    seed=seed,
                    seconds=round(took, 1),
                    distance_m=distance,
                    reference_m=ref["distance_m"],
                    reference_seconds=ref["reference_seconds"],
                    reference_runs=ref_runs,
                    gap_pct=round(gap, 2),
                    violations=len(bad),
                    loadavg=list(os.getloadavg()),
                )
        if gaps:
            median = statistics.median(gaps)
            p90 = sorted(gaps)[max(0, math.ceil(0.9 * len(gaps)) - 1)]
            judged = limit is not None and limit <= 60
            # A reference of fewer runs than the issue asks is weaker: a gap met against it is not met.
            met = (median <= TARGET_MEDIAN_PCT and complete) or not judged
            ok &= met
            emit(
                bench="station",
                summary=True,
                budget=label,
                plans=len(gaps),
                median_gap_pct=round(median, 2),
                p90_gap_pct=round(p90, 2),
                target_median_pct=TARGET_MEDIAN_PCT,
                target_applies=judged,
                reference_complete=complete,
                ok=met,
            )
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["list", "reference", "evaluate"])
    ap.add_argument("--days", default="d3-uniform,d4-clustered,d5-clustered,d6-corridor")
    ap.add_argument("--reference-seconds", type=float, default=3600.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--new-runs", type=int, default=None, help="reference: make at most this many runs now")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--default-budget", action="store_true")
    args = ap.parse_args()
    days = [d for d in args.days.split(",") if d]
    if args.what == "list":
        for name in DAYS:
            r = station_day(name)
            emit(
                day=name,
                seed=DAYS[name][0],
                layout=DAYS[name][1],
                stops=len(r.stops),
                couriers=len(r.vehicles),
            )
        return 0
    if args.what == "reference":
        return 0 if reference(days, args.reference_seconds, args.runs, args.new_runs) else 1
    return 0 if evaluate(days, args.seconds, args.runs, args.default_budget) else 1


if __name__ == "__main__":
    sys.exit(main())
