"""Large days: split the fleet into territories around the station and plan each one separately.

PyVRP's search is single-threaded, so a 4,500-stop day in one model uses one of the two cores
(and its matrices alone are 20 M cells per profile). Couriers work territories anyway: the day is
cut into angular sectors around the station (sweep), each sector gets a share of the fleet
(van/e-tricycle mix kept), and the sectors are planned in parallel processes, all stopping at one
shared deadline. Each sector is first searched as a coarse copy with open-window stops grouped
(:mod:`.aggregate`), then on its real stops from the expanded coarse plan, both with the tuned
iterated local search of :mod:`.search`. Stops a sector could not serve get a second chance by
cheapest insertion anywhere.

Measured alternatives that did not pay on the station day (docs/dispatch.md, "Large days"):
finer territories, re-optimising groups of neighbouring routes with warm starts (LNS by route
groups), and starting from sweep petals or balanced k-means clusters routed per courier.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import pyvrp

from .aggregate import coarse_data, expand, groups_of
from .insertion import cheapest_insertion, route_state
from .matrix import MatrixProvider
from .model import Plan, PlanRequest, RoutePlan, Stop, Vehicle
from .schedule import evaluate
from .search import Budget, Deadline, Iterations, iterated_local_search
from .solver import build_data, to_plan

COARSE_SHARE = 0.2  # of each territory's search budget, for the coarse copy (.aggregate)
COARSE_PATIENCE = 3000  # iterations without a better coarse plan: ~15 s, more than a 60 s plan gives it


def _reserve(time_limit_s: float) -> float:
    # After the deadline: one full local search pass per territory, pickling the plans back, the
    # repair pass and the re-simulation (~0.3 s on the station day; longer on short budgets, whose
    # unconverged plans give the last pass more to do).
    return min(0.1 * time_limit_s, 2.0)


def split(request: PlanRequest, n_groups: int) -> list[PlanRequest]:
    """Sectors with stop counts proportional to their vehicles; each profile is dealt round-robin."""
    groups: list[list[Vehicle]] = [[] for _ in range(n_groups)]
    dealt = 0
    for profile in sorted({v.profile for v in request.vehicles}):
        for v in (v for v in request.vehicles if v.profile == profile):
            groups[dealt % n_groups].append(v)
            dealt += 1
    groups = [g for g in groups if g]
    centre = request.vehicles[0].depot
    open_stops = sorted(
        (s for s in request.stops if not s.done),
        key=lambda s: (math.atan2(s.y - centre.y, (s.x - centre.x) * math.cos(math.radians(centre.y))), s.id),
    )
    total = len(request.vehicles)
    parts, first = [], 0
    for i, g in enumerate(groups):
        last = len(open_stops) if i == len(groups) - 1 else first + round(len(open_stops) * len(g) / total)
        parts.append(replace(request, stops=tuple(open_stops[first:last]), vehicles=tuple(g)))
        first = last
    return parts


def _solve_part(
    args: tuple[PlanRequest, MatrixProvider, float | None, int | None, int, float | None],
) -> Plan:
    request, matrix, deadline, iterations, seed, cpu_s = args
    data, stops, type_ids = build_data(request, matrix)
    if not stops:
        return to_plan(request, pyvrp.Solution(data, []), stops, type_ids)
    if cpu_s is not None:  # a CPU-second budget of this process (benchmarks on a shared machine)
        coarse_budget, fine_budget = _cpu_budgets(cpu_s)
    else:
        coarse_budget, fine_budget = _budgets(deadline, iterations or 0)
    groups = groups_of(data, seed)
    init, penalties = None, None
    if len(groups) < len(stops):
        profiles = sorted({v.profile for v in request.vehicles})  # build_data's profile order
        # The coarse search also ends once it stops improving, as it does within a long budget.
        coarse, penalties = iterated_local_search(
            coarse_data(data, groups, matrix, profiles),
            coarse_budget,
            seed=seed,
            patience=COARSE_PATIENCE,
        )
        init = expand(coarse, data, groups)
    best, _ = iterated_local_search(data, fine_budget, seed=seed, initial_solution=init, penalties=penalties)
    return to_plan(request, best, stops, type_ids)


def _budgets(deadline: float | None, iterations: int) -> tuple[Budget, Budget]:
    """Budgets of the coarse and the fine search; an iteration budget wins over a deadline."""
    if deadline is None:
        coarse = max(1, round(COARSE_SHARE * iterations))
        return Iterations(coarse), Iterations(max(1, iterations - coarse))
    now = time.monotonic()
    return Deadline(now + COARSE_SHARE * (deadline - now)), Deadline(deadline)


def _cpu_budgets(seconds: float) -> tuple[Budget, Budget]:
    now = time.process_time()
    at = now + seconds
    return (
        Deadline(now + COARSE_SHARE * seconds, clock=time.process_time),
        Deadline(at, clock=time.process_time),
    )


def solve_partitioned(
    request: PlanRequest,
    matrix: MatrixProvider,
    *,
    n_groups: int,
    time_limit_s: float | None = None,
    max_iterations: int | None = None,
    seed: int = 0,
    workers: int = 2,
    cpu_time_s: float | None = None,
) -> Plan:
    """Plan by territory; ``time_limit_s`` is the whole wall-clock budget, shared by the workers.
    ``max_iterations`` (per territory) makes the plan reproducible and wins when both are given.
    ``cpu_time_s`` (benchmarks): instead, each territory's search may use that many CPU seconds of
    its worker process (the ~0.1 s of set-up before the search is not counted), whatever the load."""
    started = time.monotonic()
    if max_iterations is None and time_limit_s is None and cpu_time_s is None:
        raise ValueError("give time_limit_s or max_iterations")
    parts = split(request, n_groups)
    rounds = math.ceil(len(parts) / workers)

    def deadline(i: int) -> float | None:
        # Parts beyond the first ``workers`` wait for a free worker: each round gets its slice.
        if max_iterations is not None or time_limit_s is None:
            return None
        return started + (i // workers + 1) * (time_limit_s - _reserve(time_limit_s)) / rounds

    jobs = [(p, matrix, deadline(i), max_iterations, seed + i, cpu_time_s) for i, p in enumerate(parts)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        plans = list(pool.map(_solve_part, jobs))
    routes = {r.vehicle_id: r for p in plans for r in p.routes}
    by_id = {s.id: s for s in request.stops}
    leftovers = [by_id[s] for p in plans for s in p.unassigned]
    return _repair(request, matrix, routes, leftovers, by_id)


def _repair(
    request: PlanRequest,
    matrix: MatrixProvider,
    routes: dict[str, RoutePlan],
    leftovers: Sequence[Stop],
    by_id: dict[str, Stop],
) -> Plan:
    vehicles = {v.id: v for v in request.vehicles}
    seqs = {vid: [by_id[s] for s in r.stop_ids] for vid, r in routes.items()}
    states = {vid: route_state(vehicles[vid], seq, matrix) for vid, seq in seqs.items()}
    unassigned = []
    for stop in leftovers:
        ins = cheapest_insertion(
            stop, list(states.values()), matrix, request.distance_cost, request.duration_cost
        )
        if ins is None:
            unassigned.append(stop.id)
            continue
        seqs[ins.vehicle_id].insert(ins.position, stop)
        states[ins.vehicle_id] = route_state(vehicles[ins.vehicle_id], seqs[ins.vehicle_id], matrix)
    out, feasible = [], True
    for v in request.vehicles:
        ev = evaluate(v, seqs[v.id], matrix)  # re-simulated, so the plan's ETAs are checked ones
        feasible &= ev.feasible
        out.append(RoutePlan(v.id, ev.visits, v.start_time, ev.end_time, ev.distance, ev.duration))
    cost = sum(request.distance_cost * r.distance + request.duration_cost * r.duration for r in out)
    return Plan(tuple(out), tuple(unassigned), cost, feasible=feasible)
