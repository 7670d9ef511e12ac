"""Plan a day (or re-plan one courier) with PyVRP 0.14's iterated local search.

Modelling choices, and why:

* Each vehicle starts at its station (or, when live, at its current position and time) and ends at
  the station. It leaves at its start time: couriers are paid from shift start, and a fixed
  departure makes PyVRP's ETAs equal to :func:`.schedule.simulate`'s.
* Time windows are hard (a feasible PyVRP solution has no time warp); service times are per stop;
  the shift end is the vehicle type's ``tw_late`` (latest return to the station).
* Load has two dimensions, weight and volume. Deliveries are loaded at the station and pickups ride
  back to it in the same route (PyVRP clients with ``delivery`` and ``pickup`` amounts). A dimension
  no route could ever fill (everything open together fits every vehicle, e.g. Solomon's volume) is
  left out of PyVRP's data: it cannot change a plan, and each one costs the search time on every
  move it evaluates. :func:`binding_dimensions` decides it for a whole request, and the parts of a
  large day are given that one decision (their searches share penalties, one per dimension).
* Stops are *optional with a prize far above any detour* (``allow_unassigned``): the search then
  serves every stop it can, and only a stop that no vehicle can serve within windows, capacity
  and shift comes back as unassigned instead of the whole plan coming back infeasible. Solomon
  benchmarks turn this off (every client required), as their rules demand.
* Search settings (:func:`search_params`): for plans of several routes, PyVRP's except 30 granular
  neighbours instead of 50 and an acceptance history of 100 instead of 300 (at short budgets the
  narrower neighbourhood buys more iterations and the shorter history accepts sooner); chosen on
  half of the Solomon instances and checked on the other half (docs/dispatch.md, "Solomon"). A
  single route (a courier's re-plan) keeps PyVRP's own: of three ~140-stop routes tried at 5 CPU-s
  they gave one 3.4 % shorter (the other two equal), and the re-plan's quality was measured
  with them. References that must not be our own choice (``bench/station_days.py``) pass
  ``stock_params()``.
* Determinism: PyVRP is deterministic for a seed and a number of iterations. A wall-clock limit
  (``time_limit_s``) is not reproducible, because how many iterations fit depends on machine load;
  pass ``max_iterations`` when the same input must give the same plan (tests, audits).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import pyvrp
from pyvrp.search import NeighbourhoodParams
from pyvrp.stop import MaxIterations, MaxRuntime, StoppingCriterion

from .matrix import IntMatrix, MatrixProvider, Point
from .model import Plan, PlanRequest, RoutePlan, Stop, Vehicle, Visit
from .schedule import onboard_load

DEPOT_OPEN = 1 << 40  # depots are open all day; the vehicle's shift carries the real limit
NUM_NEIGHBOURS = 30  # PyVRP: 50
HISTORY_LENGTH = 100  # PyVRP: 300


def search_params(routes: int) -> pyvrp.SolveParams:
    """Our settings for a solve of ``routes`` vehicles; a single route keeps PyVRP's own (see the
    module docstring)."""
    if routes <= 1:
        return stock_params()
    return pyvrp.SolveParams(
        ils=pyvrp.IteratedLocalSearchParams(history_length=HISTORY_LENGTH),
        neighbourhood=NeighbourhoodParams(num_neighbours=NUM_NEIGHBOURS),
    )


def stock_params() -> pyvrp.SolveParams:
    """PyVRP's own settings: for references that must not carry our choices."""
    return pyvrp.SolveParams()


def _remaining_capacity(vehicle: Vehicle, by_id: dict[str, Stop]) -> list[int]:
    # Parcels picked up earlier today stay on board until the station, so they use capacity.
    onboard = onboard_load(vehicle, by_id)
    return [vehicle.capacity[d] - onboard[d] for d in range(2)]


def binding_dimensions(request: PlanRequest) -> tuple[int, ...]:
    """The load dimensions (0 weight, 1 volume) some route could overfill: those where the open
    stops' deliveries and pickups together exceed some vehicle's remaining capacity. A route's load
    never exceeds that sum, so a dimension outside this set cannot bind, in the whole request or in
    any part of it. At least weight is kept: PyVRP's data always has one dimension here."""
    by_id = {s.id: s for s in request.stops}
    rooms = [_remaining_capacity(v, by_id) for v in request.vehicles]
    open_stops = [s for s in request.stops if not s.done]
    dims = tuple(
        d
        for d in range(2)
        if sum(s.delivery[d] + s.pickup[d] for s in open_stops) > min(room[d] for room in rooms)
    )
    return dims or (0,)


def _prize(dist: Sequence[IntMatrix], dur: Sequence[IntMatrix], request: PlanRequest) -> int:
    # Larger than serving the stop could ever cost (out and back over the longest edge), so
    # dropping a stop is never "cheaper" than serving it.
    worst = max(int(d.max()) for d in dist) * request.distance_cost
    worst += max(int(t.max()) for t in dur) * request.duration_cost
    return 4 * worst + 1_000


def build_data(
    request: PlanRequest, matrix: MatrixProvider, dims: tuple[int, ...] | None = None
) -> tuple[pyvrp.ProblemData, list[Stop], list[list[str]]]:
    """Translate a request into PyVRP data. Returns the data, the planned stops (client order) and,
    per vehicle type, the ids of the vehicles it stands for. ``dims``: the load dimensions to model
    (default :func:`binding_dimensions` of this request; a part of a day gets the whole day's)."""
    dims = binding_dimensions(request) if dims is None else dims
    stops = [s for s in request.stops if not s.done]
    by_id = {s.id: s for s in request.stops}
    depot_points: list[Point] = []
    for v in request.vehicles:
        for p in (v.start_point, v.depot):
            if p not in depot_points:
                depot_points.append(p)
    points = depot_points + [s.point for s in stops]
    profiles = sorted({v.profile for v in request.vehicles})
    mats = [matrix.matrix(points, prof) for prof in profiles]
    dist, dur = [m[0] for m in mats], [m[1] for m in mats]

    # Identical vehicles share one vehicle type: PyVRP then need not tell symmetric routes apart.
    # (remaining capacity, shift start, shift end, start depot, end depot, profile index)
    groups: dict[tuple[tuple[int, ...], int, int, int, int, int], list[str]] = defaultdict(list)
    for v in request.vehicles:
        room = _remaining_capacity(v, by_id)
        key = (
            tuple(room[d] for d in dims),
            v.start_time,
            v.shift_end,
            depot_points.index(v.start_point),
            depot_points.index(v.depot),
            profiles.index(v.profile),
        )
        groups[key].append(v.id)
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=len(ids),
            capacity=list(key[0]),
            start_depot=key[3],
            end_depot=key[4],
            tw_early=key[1],
            tw_late=key[2],
            start_late=key[1],
            profile=key[5],
            unit_distance_cost=request.distance_cost,
            unit_duration_cost=request.duration_cost,
            name=",".join(ids),
        )
        for key, ids in groups.items()
    ]
    prize = _prize(dist, dur, request) if request.allow_unassigned else 0
    clients = [
        pyvrp.Client(
            location=len(depot_points) + i,
            delivery=[s.delivery[d] for d in dims],
            pickup=[s.pickup[d] for d in dims],
            service_duration=s.service_s,
            tw_early=s.tw_start,
            tw_late=s.tw_end,
            prize=prize,
            required=not request.allow_unassigned,
            name=s.id,
        )
        for i, s in enumerate(stops)
    ]
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(x=p.x, y=p.y) for p in points],
        clients=clients,
        depots=[pyvrp.Depot(location=i, tw_early=0, tw_late=DEPOT_OPEN) for i in range(len(depot_points))],
        vehicle_types=vehicle_types,
        # pyvrp's stub says np.ndarray[int] (an int *shape* type) for an int matrix: an upstream stub slip.
        distance_matrices=dist,  # type: ignore[arg-type]
        duration_matrices=dur,  # type: ignore[arg-type]
    )
    return data, stops, list(groups.values())


def stopping_criterion(time_limit_s: float | None, max_iterations: int | None) -> StoppingCriterion:
    if max_iterations is not None:
        return MaxIterations(max_iterations)
    if time_limit_s is None:
        raise ValueError("give time_limit_s or max_iterations")
    return MaxRuntime(time_limit_s)


def to_plan(
    request: PlanRequest, solution: pyvrp.Solution, stops: list[Stop], type_ids: list[list[str]]
) -> Plan:
    """Read routes through ``schedule()``: ETAs include waiting for a window to open."""
    next_vehicle = [iter(ids) for ids in type_ids]
    planned: set[str] = set()
    routes: dict[str, RoutePlan] = {}
    for route in solution.routes():
        vid = next(next_vehicle[route.vehicle_type()])
        visits = []
        for act in route.schedule():
            if act.is_client():
                stop = stops[act.idx]
                arrival = act.start_time - act.wait_duration
                visits.append(Visit(stop.id, arrival, act.start_time, act.end_time))
                planned.add(stop.id)
        routes[vid] = RoutePlan(
            vid, tuple(visits), route.start_time(), route.end_time(), route.distance(), route.duration()
        )
    all_routes = tuple(
        routes.get(v.id, RoutePlan(v.id, (), v.start_time, v.start_time, 0, 0)) for v in request.vehicles
    )
    cost = sum(request.distance_cost * r.distance + request.duration_cost * r.duration for r in all_routes)
    return Plan(
        routes=all_routes,
        unassigned=tuple(s.id for s in stops if s.id not in planned),
        cost=cost,
        feasible=bool(solution.is_feasible()),
    )


def solve(
    request: PlanRequest,
    matrix: MatrixProvider,
    *,
    time_limit_s: float | None = None,
    max_iterations: int | None = None,
    seed: int = 0,
    initial_routes: dict[str, list[str]] | None = None,
    stop: StoppingCriterion | None = None,
    params: pyvrp.SolveParams | None = None,
) -> Plan:
    """Plan all open stops of ``request``; see the module docstring for the rules. ``stop`` (a
    PyVRP stopping criterion, e.g. a CPU-time one in the benchmarks) replaces the two limits;
    ``params`` replaces :func:`search_params` (PyVRP's own for an independent reference)."""
    data, stops, type_ids = build_data(request, matrix)
    if not stops:
        return to_plan(request, pyvrp.Solution(data, []), stops, type_ids)
    init = initial_solution(data, stops, type_ids, initial_routes) if initial_routes else None
    result = pyvrp.solve(
        data,
        stop or stopping_criterion(time_limit_s, max_iterations),
        seed=seed,
        collect_stats=False,
        display=False,
        initial_solution=init,
        params=params or search_params(len(request.vehicles)),
    )
    return to_plan(request, result.best, stops, type_ids)


def initial_solution(
    data: pyvrp.ProblemData, stops: list[Stop], type_ids: list[list[str]], routes: dict[str, list[str]]
) -> pyvrp.Solution:
    """Warm start from known routes (e.g. the courier's current order) so the search starts there."""
    client = {s.id: i for i, s in enumerate(stops)}
    vt_of = {vid: t for t, ids in enumerate(type_ids) for vid in ids}
    built = [
        pyvrp.Route(data, [client[s] for s in seq if s in client], vt_of[vid])
        for vid, seq in routes.items()
        if any(s in client for s in seq)
    ]
    return pyvrp.Solution(data, built)
