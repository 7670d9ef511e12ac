"""Large days: plan on both cores, in parts no route crosses where that fits, else by territory.

PyVRP's search is single-threaded, so a day in one model uses one of the two cores. Two ways:

* **Up to ``WHOLE_DAY_MAX_STOPS`` open stops (route groups).** Phase 1 searches the whole day in
  each worker (different seeds) for ``FIRST_SHARE`` of the budget. Phase 2 cuts the best phase-1
  plan's *routes* (not its stops) into groups of neighbouring routes, by the bearing of each
  route's centroid from the station, so no route crosses a border, and each group is searched in
  parallel from its own routes with the penalties phase 1 learnt. The result is the cheaper of the
  phase-1 plan and the merged one. An angular split of the stops cuts long routes that would cross
  it (Gehring & Homberger C2_10_1: +6.5 % against +0.8 % for stock PyVRP; docs/dispatch.md).
* **Above that (territories).** A 4,500-stop day's matrices alone are 20 M cells per profile, and
  couriers work territories anyway: the day is cut into angular sectors around the station
  (sweep), each sector gets a share of the fleet (van/e-tricycle mix kept), and the sectors are
  planned in parallel processes, all stopping at one shared deadline.

Every search without a warm start first searches a coarse copy with open-window stops grouped
(:mod:`.aggregate`), then the real stops from the expanded coarse plan, both with the tuned
iterated local search of :mod:`.search`. Stops a part could not serve get a second chance by
cheapest insertion anywhere.

Measured alternatives that did not pay on the station day (docs/dispatch.md, "Large days"):
finer territories, re-optimising groups of five neighbouring routes with warm starts after a
territory search (LNS by route groups; unlike phase 2 above, many small groups, each restarting
its penalties), starting from sweep petals or balanced k-means clusters routed per courier, and
following the territories (60 % of the budget) with two route groups that straddle their borders
(2026-12-04, 60 s, tuning days d1/d2, seed 0: 0.15 % and 0.75 % longer than territories alone).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace

import pyvrp

from .aggregate import coarse_data, expand, groups_of
from .insertion import cheapest_insertion, route_state
from .matrix import MatrixProvider, Point
from .model import Plan, PlanRequest, RoutePlan, Stop, Vehicle
from .schedule import evaluate
from .search import Budget, Deadline, Iterations, Penalties, iterated_local_search
from .solver import binding_dimensions, build_data, initial_solution, to_plan

# The station plan's default budget (``services.station.station_plan``), per territory on a large day:
# reproducible (same seed, same plan) and ~seconds for a small station. Here, beside the planner
# it drives, so a benchmark can read it without Django.
STATION_ITERATIONS = 2000
COARSE_SHARE = 0.2  # of each territory's search budget, for the coarse copy (.aggregate)
COARSE_PATIENCE = 3000  # iterations without a better coarse plan: ~15 s, more than a 60 s plan gives it
# Days up to the size of one station-day territory are first searched whole: one process is known
# to search that many stops well within a minute (docs/dispatch.md, "Large days").
WHOLE_DAY_MAX_STOPS = 2_250
# Of the budget, for the whole-day searches before the route groups: 0.3 / 0.5 / 0.7 / 0.85 were
# measured on G&H 1,000 at 30 CPU-s (docs/dispatch.md, "Large days").
FIRST_SHARE = 0.7


@dataclass(frozen=True)
class Part:
    """One search for a worker process: a request and its budget (an iteration budget wins over CPU
    seconds, which win over a deadline), optionally warm-started from routes (vehicle id → stop ids)
    with the penalties an earlier search of the same units ended with."""

    request: PlanRequest
    matrix: MatrixProvider
    seed: int
    deadline: float | None = None
    iterations: int | None = None
    cpu_s: float | None = None
    routes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    penalties: Penalties | None = None
    dims: tuple[int, ...] | None = None  # the whole day's load dimensions (solver.binding_dimensions)


def _reserve(time_limit_s: float) -> float:
    # After the deadline: one full local search pass per territory, pickling the plans back, the
    # repair pass and the re-simulation (~0.3 s on the station day; longer on short budgets, whose
    # unconverged plans give the last pass more to do).
    return min(0.1 * time_limit_s, 2.0)


def bearing(centre: Point, p: Point) -> float:
    """Angle of ``p`` around ``centre`` (longitude shrunk by the latitude's cosine)."""
    return math.atan2(p.y - centre.y, (p.x - centre.x) * math.cos(math.radians(centre.y)))


def _deal(vehicles: Sequence[Vehicle], n_groups: int) -> list[list[Vehicle]]:
    # Each profile round-robin, so every group keeps the van/e-tricycle mix.
    groups: list[list[Vehicle]] = [[] for _ in range(n_groups)]
    dealt = 0
    for profile in sorted({v.profile for v in vehicles}):
        for v in (v for v in vehicles if v.profile == profile):
            groups[dealt % n_groups].append(v)
            dealt += 1
    return groups


def split(request: PlanRequest, n_groups: int) -> list[PlanRequest]:
    """Sectors with stop counts proportional to their vehicles; each profile is dealt round-robin.
    Done stops go to every sector: a live courier's on-board load is read from them."""
    groups = [g for g in _deal(request.vehicles, n_groups) if g]
    centre = request.vehicles[0].depot
    done = tuple(s for s in request.stops if s.done)
    open_stops = sorted(
        (s for s in request.stops if not s.done), key=lambda s: (bearing(centre, s.point), s.id)
    )
    total = len(request.vehicles)
    parts, first = [], 0
    for i, g in enumerate(groups):
        last = len(open_stops) if i == len(groups) - 1 else first + round(len(open_stops) * len(g) / total)
        parts.append(replace(request, stops=(*open_stops[first:last], *done), vehicles=tuple(g)))
        first = last
    return parts


def route_groups(request: PlanRequest, matrix: MatrixProvider, plan: Plan, n_groups: int) -> list[Part]:
    """The plan's routes in ``n_groups`` groups of neighbouring routes (by the bearing of each
    route's centroid from the station, cut where the bearings are furthest apart, about equal stop
    counts per group), so no route crosses a border; each group starts from its own routes (the
    returned parts carry no budget yet). Idle vehicles are dealt to the groups round-robin, and
    stops the plan left out are left to the caller's repair."""
    centre = request.vehicles[0].depot
    by_id = {s.id: s for s in request.stops}
    vehicles = {v.id: v for v in request.vehicles}
    done = tuple(s for s in request.stops if s.done)
    dims = binding_dimensions(request)  # the whole day's: the groups share phase 1's penalties

    def angle(r: RoutePlan) -> float:
        pts = [by_id[s] for s in r.stop_ids]
        return bearing(centre, Point(sum(p.x for p in pts) / len(pts), sum(p.y for p in pts) / len(pts)))

    used = sorted((r for r in plan.routes if r.visits), key=lambda r: (angle(r), r.vehicle_id))
    if used:
        angles = [angle(r) for r in used]
        gaps = [(angles[i] - angles[i - 1]) % (2 * math.pi) for i in range(len(used))]
        widest = max(range(len(used)), key=lambda i: gaps[i]) if len(used) > 1 else 0
        used = used[widest:] + used[:widest]
    total = sum(len(r.visits) for r in used)
    chunks: list[list[RoutePlan]] = [[] for _ in range(n_groups)]
    served = 0
    for r in used:
        chunks[min(n_groups - 1, served * n_groups // max(total, 1))].append(r)
        served += len(r.visits)
    idle = _deal([v for v in request.vehicles if v.id not in {r.vehicle_id for r in used}], n_groups)
    parts = []
    for chunk, spare in zip(chunks, idle, strict=True):
        if not chunk and not spare:
            continue
        stops = tuple(by_id[s] for r in chunk for s in r.stop_ids)
        group = replace(
            request, stops=(*stops, *done), vehicles=(*(vehicles[r.vehicle_id] for r in chunk), *spare)
        )
        routes = {r.vehicle_id: tuple(r.stop_ids) for r in chunk}
        parts.append(Part(group, matrix, 0, routes=routes, dims=dims))
    return parts


def solve_part(part: Part) -> tuple[Plan, Penalties | None]:
    """Search one part in this process: from its routes if it has them, else from a coarse plan."""
    request = part.request
    data, stops, type_ids = build_data(request, part.matrix, part.dims)
    if not stops:
        return to_plan(request, pyvrp.Solution(data, []), stops, type_ids), None
    coarse_budget, fine_budget = _budgets(part, 0.0 if part.routes else COARSE_SHARE)
    init, penalties = None, part.penalties
    if part.routes:
        init = initial_solution(data, stops, type_ids, {v: list(r) for v, r in part.routes.items()})
    else:
        groups = groups_of(data, part.seed)
        if len(groups) < len(stops):
            profiles = sorted({v.profile for v in request.vehicles})  # build_data's profile order
            # The coarse search also ends once it stops improving, as it does within a long budget.
            coarse, penalties = iterated_local_search(
                coarse_data(data, groups, part.matrix, profiles),
                coarse_budget,
                seed=part.seed,
                patience=COARSE_PATIENCE,
                penalties=penalties,
            )
            init = expand(coarse, data, groups)
    best, penalties = iterated_local_search(
        data, fine_budget, seed=part.seed, initial_solution=init, penalties=penalties
    )
    return to_plan(request, best, stops, type_ids), penalties


def _budgets(part: Part, coarse_share: float) -> tuple[Budget, Budget]:
    """Budgets of the coarse and the fine search (the coarse one gets ``coarse_share``)."""
    if part.iterations is not None:
        coarse = max(1, round(coarse_share * part.iterations)) if coarse_share else 0
        return Iterations(coarse), Iterations(max(1, part.iterations - coarse))
    if part.cpu_s is not None:  # a CPU-second budget of this process (benchmarks on a shared machine)
        now = time.process_time()
        return (
            Deadline(now + coarse_share * part.cpu_s, clock=time.process_time),
            Deadline(now + part.cpu_s, clock=time.process_time),
        )
    if part.deadline is None:
        raise ValueError("a part needs a budget")
    now = time.monotonic()
    return Deadline(now + coarse_share * (part.deadline - now)), Deadline(part.deadline)


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
    """Plan a large day in parallel; ``time_limit_s`` is the whole wall-clock budget, shared by the
    workers. ``max_iterations`` (per search process) makes the plan reproducible and wins when both
    are given. ``cpu_time_s`` (benchmarks): instead, each worker process's searches may use that many
    CPU seconds in all (the ~0.1 s of set-up before each search is not counted), whatever the load.

    Days of up to ``WHOLE_DAY_MAX_STOPS`` open stops are searched whole first, then by groups of
    the routes found (:func:`_by_route_groups`); larger ones by angular territory
    (:func:`_by_territory`)."""
    if max_iterations is None and time_limit_s is None and cpu_time_s is None:
        raise ValueError("give time_limit_s or max_iterations")
    budget = _Budget(time.monotonic(), time_limit_s, max_iterations, cpu_time_s)
    if sum(not s.done for s in request.stops) <= WHOLE_DAY_MAX_STOPS:
        return _by_route_groups(request, matrix, budget, n_groups=n_groups, seed=seed, workers=workers)
    return _by_territory(request, matrix, budget, n_groups=n_groups, seed=seed, workers=workers)


@dataclass(frozen=True)
class _Budget:
    started: float
    time_limit_s: float | None
    iterations: int | None
    cpu_s: float | None

    def parts(self, parts: Sequence[Part], workers: int, share: tuple[float, float], seed: int) -> list[Part]:
        """``parts`` with their budgets: the slice ``share`` (from, to) of the whole budget. Parts
        beyond the first ``workers`` wait for a free worker: each round gets its slice of the slice."""
        span = share[1] - share[0]
        if self.iterations is not None:
            n = max(1, round(span * self.iterations))
            return [replace(p, seed=seed + i, iterations=n) for i, p in enumerate(parts)]
        if self.cpu_s is not None:
            return [replace(p, seed=seed + i, cpu_s=span * self.cpu_s) for i, p in enumerate(parts)]
        assert self.time_limit_s is not None
        usable = self.time_limit_s - _reserve(self.time_limit_s)
        rounds = math.ceil(len(parts) / workers)
        begin = self.started + share[0] * usable
        return [
            replace(p, seed=seed + i, deadline=begin + (i // workers + 1) * span * usable / rounds)
            for i, p in enumerate(parts)
        ]


def _by_territory(
    request: PlanRequest, matrix: MatrixProvider, budget: _Budget, *, n_groups: int, seed: int, workers: int
) -> Plan:
    dims = binding_dimensions(request)
    parts = [Part(p, matrix, 0, dims=dims) for p in split(request, n_groups)]
    parts = budget.parts(parts, workers, (0.0, 1.0), seed)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        plans = [plan for plan, _ in pool.map(solve_part, parts)]
    return _merge(request, matrix, plans)


def _by_route_groups(
    request: PlanRequest, matrix: MatrixProvider, budget: _Budget, *, n_groups: int, seed: int, workers: int
) -> Plan:
    """Phase 1: the whole day, once per worker (seeds ``seed``, ``seed + 1``, ...), for
    ``FIRST_SHARE`` of the budget. Phase 2: the best of those plans' routes in ``n_groups`` groups
    of neighbouring routes (:func:`route_groups`), each searched from its own routes with the
    penalties phase 1 ended with, for the rest. The result is the cheaper of the phase-1 plan and
    the merged one, so the route groups can only improve on phase 1."""
    whole = [Part(request, matrix, 0, dims=binding_dimensions(request))] * max(1, min(workers, n_groups))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        firsts = list(pool.map(solve_part, budget.parts(whole, workers, (0.0, FIRST_SHARE), seed)))
        first, penalties = min(firsts, key=lambda pp: _rank(pp[0]))
        groups = [replace(g, penalties=penalties) for g in route_groups(request, matrix, first, n_groups)]
        seconds = list(pool.map(solve_part, budget.parts(groups, workers, (FIRST_SHARE, 1.0), seed)))
    merged = _merge(request, matrix, [p for p, _ in seconds], extra=first.unassigned)
    return min(_merge(request, matrix, [first]), merged, key=_rank)


def _rank(plan: Plan) -> tuple[bool, int, int]:
    return (not plan.feasible, len(plan.unassigned), plan.cost)


def _merge(
    request: PlanRequest, matrix: MatrixProvider, plans: Sequence[Plan], extra: Sequence[str] = ()
) -> Plan:
    """One plan from parts' plans: their leftovers (and ``extra`` stops) offered by cheapest insertion."""
    by_id = {s.id: s for s in request.stops}
    routes = {r.vehicle_id: r for p in plans for r in p.routes}
    for v in request.vehicles:  # a vehicle no part had
        routes.setdefault(v.id, RoutePlan(v.id, (), v.start_time, v.start_time, 0, 0))
    leftovers = [by_id[s] for p in plans for s in p.unassigned] + [by_id[s] for s in extra]
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
