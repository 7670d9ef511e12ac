"""Large days: split the fleet into territories around the station and plan each one separately.

4,500 stops in one PyVRP model means 20 M-cell matrices and iterations that each touch thousands
of clients; in a fixed 60 s the search then barely leaves its construction. Couriers work
territories anyway, so the day is cut into angular sectors around the station (sweep), each
sector gets a share of the fleet (van/e-tricycle mix kept), and the sectors are solved in parallel
processes. Stops a sector could not serve get a second chance by cheapest insertion anywhere.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

from .insertion import cheapest_insertion, route_state
from .matrix import MatrixProvider
from .model import Plan, PlanRequest, RoutePlan, Stop, Vehicle
from .schedule import evaluate
from .solver import solve


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


def _solve_part(args: tuple[PlanRequest, MatrixProvider, float | None, int | None, int]) -> Plan:
    request, matrix, seconds, iterations, seed = args
    return solve(request, matrix, time_limit_s=seconds, max_iterations=iterations, seed=seed)


def solve_partitioned(
    request: PlanRequest,
    matrix: MatrixProvider,
    *,
    n_groups: int,
    time_limit_s: float | None = None,
    max_iterations: int | None = None,
    seed: int = 0,
    workers: int = 2,
) -> Plan:
    """Plan by territory; ``time_limit_s`` is the whole wall-clock budget, shared by the workers."""
    parts = split(request, n_groups)
    rounds = math.ceil(len(parts) / workers)
    # Keep ~10% for process start-up, matrices and the repair pass.
    per_part = None if time_limit_s is None else 0.9 * time_limit_s / rounds
    jobs = [(p, matrix, per_part, max_iterations, seed + i) for i, p in enumerate(parts)]
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
        ins = cheapest_insertion(stop, list(states.values()), matrix, request.distance_cost, request.duration_cost)
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
