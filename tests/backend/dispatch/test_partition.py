"""Large-day planning: territories searched in parallel with the instance-scaled iterated local search.

A small city day (haversine, vans at 25 km/h and e-tricycles at 15 km/h) stands in for the
4,500-stop benchmark; every plan is checked by re-simulating each route with its own vehicle.
"""

from __future__ import annotations

import random
import time
from dataclasses import replace

import pytest
import pyvrp

from backend.dispatch.planning import partition
from backend.dispatch.planning.aggregate import coarse_data, expand, groups_of
from backend.dispatch.planning.matrix import HaversineMatrix, Point
from backend.dispatch.planning.model import Plan, PlanRequest, RoutePlan, Stop, Vehicle, Visit
from backend.dispatch.planning.partition import route_groups, solve_partitioned, split
from backend.dispatch.planning.schedule import evaluate
from backend.dispatch.planning.search import (
    Deadline,
    Iterations,
    _record_to_record,
    accepts,
    iterated_local_search,
    unit_penalty,
)
from backend.dispatch.planning.solver import binding_dimensions, build_data

MATRIX = HaversineMatrix()
STATION = Point(13.405, 52.52)
SHIFT = 4 * 3600


def city_day(couriers: int = 6, per_courier: int = 25, seed: int = 3) -> PlanRequest:
    rng = random.Random(seed)
    stops = []
    for i in range(couriers * per_courier):
        kind = "delivery" if rng.random() < 0.6 else "pickup"
        start = rng.randrange(0, SHIFT - 3600, 900) if rng.random() < 0.2 else 0
        stops.append(
            Stop(
                f"s{i}",
                kind,
                STATION.x + rng.uniform(-0.03, 0.03),
                STATION.y + rng.uniform(-0.02, 0.02),
                tw_start=start,
                tw_end=start + 3600 if start else SHIFT,
                service_s=120,
                weight_g=rng.randint(500, 4000),
                volume_cm3=rng.randint(1000, 8000),
            )
        )
    vehicles = tuple(
        Vehicle(
            f"c{k}",
            60_000 if k % 3 == 2 else 150_000,
            400_000 if k % 3 == 2 else 1_000_000,
            0,
            SHIFT,
            STATION,
            profile="e-tricycle" if k % 3 == 2 else "van",
        )
        for k in range(couriers)
    )
    return PlanRequest(stops=tuple(stops), vehicles=vehicles)


def assert_served_within_constraints(request: PlanRequest, plan: Plan) -> None:
    by_id = {s.id: s for s in request.stops}
    vehicles = {v.id: v for v in request.vehicles}
    served = [s for r in plan.routes for s in r.stop_ids]
    assert plan.unassigned == () and plan.feasible
    assert sorted(served) == sorted(by_id)
    for route in plan.routes:
        # Re-simulated with the route's own vehicle (profile speed, capacity, shift): the ETAs the
        # plan shows must be that vehicle's, so an e-tricycle's stops were not timed at van speed.
        replay = evaluate(vehicles[route.vehicle_id], [by_id[s] for s in route.stop_ids], MATRIX)
        assert replay.feasible
        assert replay.visits == route.visits
        assert replay.distance == route.distance


def test_lateness_is_priced_at_the_slowest_vehicles_metres_per_second() -> None:
    data, _, _ = build_data(city_day(), MATRIX)
    assert unit_penalty(data) == pytest.approx(15 / 3.6, rel=0.01)


def test_the_band_above_the_record_shrinks_to_nothing_at_the_end_of_the_budget() -> None:
    assert accepts(1_004.0, 1_000.0, start_band=10.0, spent=0.0)
    assert accepts(1_004.0, 1_000.0, start_band=10.0, spent=0.5)
    assert not accepts(1_004.0, 1_000.0, start_band=10.0, spent=0.7)
    assert not accepts(1_000.0, 1_000.0, start_band=10.0, spent=1.0)
    assert accepts(999.0, 1_000.0, start_band=10.0, spent=1.0)


class _Scripted:
    """Stand-ins for PyVRP's solution, cost evaluator, penalty manager and local search: the local
    search answers each call with the next scripted cost (then a hopeless one) and remembers what
    it searched from."""

    class Solution:
        def __init__(self, value: float) -> None:
            self.value = value

    def __init__(self, candidates: list[float]) -> None:
        self.candidates = [self.Solution(v) for v in candidates]
        self.searched_from: list[float] = []

    def cost_evaluator(self) -> _Scripted:
        return self

    def register(self, solution: object) -> None:
        pass

    def cost(self, solution: Solution) -> float:
        return solution.value

    penalised_cost = cost

    def __call__(self, solution: Solution, cost: object, exhaustive: bool = False) -> Solution:
        self.searched_from.append(solution.value)
        return self.candidates.pop(0) if self.candidates else self.Solution(1e9)


def test_the_walk_never_strays_further_than_the_band_above_the_best_solution() -> None:
    # Each candidate is 4 worse than the last, inside a band of ~10 from the current solution but
    # not from the record (1,000): the walk stops at 1,008. Measured from the current solution it
    # would drift on to 1,012 and beyond.
    script = _Scripted([1_004.0, 1_008.0, 1_012.0, 1_016.0, 1_020.0])
    best = _record_to_record(script, script, _Scripted.Solution(1_000.0), Iterations(50), None, band=0.01)  # type: ignore[arg-type]
    assert best.value == 1_000.0
    assert script.searched_from[:6] == [1_000.0, 1_004.0, 1_008.0, 1_008.0, 1_008.0, 1_008.0]


def test_budgets_report_the_share_spent() -> None:
    budget = Iterations(4)
    shares = []
    while not budget():
        shares.append(budget.spent())
    assert shares == [0.25, 0.5, 0.75, 1.0]
    # A deadline counts from its first look, i.e. from the start of the search that uses it.
    now = [100.0]
    deadline = Deadline(102.0, clock=lambda: now[0])
    now[0] = 100.5  # created before the search: the share counts from the first look
    assert deadline.spent() == 0.0
    now[0] = 101.25
    assert deadline.spent() == 0.5 and not deadline()  # 0.75 s of the 1.5 s left at the first look
    now[0] = 102.0
    assert deadline.spent() == 1.0 and deadline()


def test_only_stops_open_all_day_are_grouped_and_each_stop_is_in_one_group() -> None:
    data, stops, _ = build_data(city_day(), MATRIX)
    groups = groups_of(data, seed=0)
    assert sorted(i for g in groups for i in g) == list(range(len(stops)))
    assert len(groups) < len(stops) / 2  # ~5 open stops per group, 20 % of stops have a window
    for g in (g for g in groups if len(g) > 1):
        assert all(stops[i].tw_start == 0 and stops[i].tw_end == SHIFT for i in g)
    assert {i for g in groups if len(g) == 1 for i in g} >= {
        i for i, s in enumerate(stops) if s.tw_end < SHIFT
    }


def test_the_coarse_copy_keeps_each_groups_work_load_and_prize() -> None:
    data, _, _ = build_data(city_day(), MATRIX)
    groups = groups_of(data, seed=0)
    coarse = coarse_data(data, groups, MATRIX, ["e-tricycle", "van"])
    assert coarse.num_clients == len(groups)
    assert coarse.vehicle_types() == data.vehicle_types() and coarse.num_depots == data.num_depots
    fine = data.clients()
    for g, c in zip(groups, coarse.clients(), strict=True):
        assert c.service_duration == sum(fine[i].service_duration for i in g)
        assert c.delivery == [sum(fine[i].delivery[d] for i in g) for d in range(2)]
        assert c.pickup == [sum(fine[i].pickup[d] for i in g) for d in range(2)]
        assert c.prize == sum(fine[i].prize for i in g)


def test_an_expanded_coarse_plan_visits_each_groups_stops_where_the_group_was() -> None:
    data, _, _ = build_data(city_day(), MATRIX)
    groups = groups_of(data, seed=0)
    coarse = coarse_data(data, groups, MATRIX, ["e-tricycle", "van"])
    plan, _ = iterated_local_search(coarse, Iterations(100), seed=2)
    fine = expand(plan, data, groups)
    for c_route, f_route in zip(plan.routes(), fine.routes(), strict=True):
        order = [i for act in c_route.schedule() if act.is_client() for i in groups[act.idx]]
        assert [act.idx for act in f_route.schedule() if act.is_client()] == order
        assert f_route.vehicle_type() == c_route.vehicle_type()


def test_a_budget_too_short_to_find_a_feasible_plan_drops_stops_rather_than_returning_late_routes() -> None:
    day = city_day()
    # One van for 150 stops of 2 min each in a 4 h shift: most of them cannot be served at all.
    data, stops, _ = build_data(PlanRequest(day.stops, day.vehicles[:1]), MATRIX)
    start = pyvrp.Solution(data, [pyvrp.Route(data, list(range(len(stops))), 0)])
    assert not start.is_feasible()
    best, _ = iterated_local_search(data, Iterations(1), initial_solution=start)
    assert best.is_feasible()
    assert 0 < best.num_clients() < len(stops)


@pytest.fixture(params=["route groups", "territories"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both large-day paths: a day this small is searched whole first, then by route groups; with
    the limit at 0 it is cut into territories, as a day above the limit is."""
    if request.param == "territories":
        monkeypatch.setattr(partition, "WHOLE_DAY_MAX_STOPS", 0)
    return str(request.param)


def test_a_mixed_fleet_day_is_served_completely_within_every_vehicles_limits(path: str) -> None:
    day = city_day()
    # 100 kg fits a van (150 kg) but no e-tricycle (60 kg), wherever its territory is.
    heavy = Stop("heavy", "delivery", STATION.x + 0.02, STATION.y - 0.01, service_s=300, weight_g=100_000)
    request = PlanRequest((*day.stops, heavy), day.vehicles)
    plan = solve_partitioned(request, MATRIX, n_groups=2, max_iterations=300, seed=1)
    assert_served_within_constraints(request, plan)
    carrier = next(r.vehicle_id for r in plan.routes if "heavy" in r.stop_ids)
    assert next(v for v in request.vehicles if v.id == carrier).profile == "van"


def test_more_territories_than_workers_still_serve_every_stop(path: str) -> None:
    request = city_day()
    plan = solve_partitioned(request, MATRIX, n_groups=3, max_iterations=200, workers=2)
    assert_served_within_constraints(request, plan)


def test_the_same_seed_and_iteration_budget_give_the_identical_plan(path: str) -> None:
    request = city_day(couriers=4)
    first = solve_partitioned(request, MATRIX, n_groups=2, max_iterations=250, seed=4)
    second = solve_partitioned(request, MATRIX, n_groups=2, max_iterations=250, seed=4)
    assert first == second


def test_a_time_limit_bounds_the_whole_call_not_each_territory(path: str) -> None:
    request = city_day()
    started = time.monotonic()
    plan = solve_partitioned(request, MATRIX, n_groups=4, time_limit_s=2.0, workers=2)
    # Four territories on two workers: each round gets half of the budget, not the whole of it.
    assert time.monotonic() - started < 2.0 + 1.0
    assert_served_within_constraints(request, plan)


def test_route_groups_keep_every_route_whole_and_deal_the_idle_vehicles() -> None:
    request = city_day(couriers=9)
    plan = solve_partitioned(request, MATRIX, n_groups=2, max_iterations=100, seed=1)
    used = {r.vehicle_id: tuple(r.stop_ids) for r in plan.routes if r.visits}
    idle = [r.vehicle_id for r in plan.routes if not r.visits]
    groups = route_groups(request, MATRIX, plan, 2)
    assert len(groups) == 2
    # Each route is in one group, whole, and starts that group's search; each stop in one group.
    assert sorted(v for g in groups for v in g.routes) == sorted(used)
    assert all(g.routes[v] == used[v] for g in groups for v in g.routes)
    assert sorted(s.id for g in groups for s in g.request.stops) == sorted(s.id for s in request.stops)
    for g in groups:
        assert {s.id for s in g.request.stops} == {s for r in g.routes.values() for s in r}
        assert {v.id for v in g.request.vehicles} >= set(g.routes)
    assert sorted(v.id for g in groups for v in g.request.vehicles if v.id not in g.routes) == sorted(idle)
    # Every group models the whole day's load dimensions (they share phase 1's penalties).
    assert all(g.dims == binding_dimensions(request) for g in groups)
    # About equal stop counts: the groups differ by less than one route's worth of stops.
    sizes = [len(g.request.stops) for g in groups]
    assert abs(sizes[0] - sizes[1]) <= max(len(r) for r in used.values())


def test_neighbouring_routes_share_a_group() -> None:
    # Four routes in the four quadrants around the station: two groups are two pairs of adjacent
    # quadrants, never two opposite ones.
    request = city_day(couriers=4)
    by_quadrant: dict[tuple[bool, bool], list[str]] = {}
    for s in request.stops:
        by_quadrant.setdefault((s.x > STATION.x, s.y > STATION.y), []).append(s.id)
    quadrants = sorted(by_quadrant)
    plan = Plan(
        tuple(
            RoutePlan(v.id, tuple(Visit(s, 0, 0, 0) for s in by_quadrant[q]), 0, 0, 0, 0)
            for v, q in zip(request.vehicles, quadrants, strict=True)
        ),
        (),
        0,
    )
    groups = route_groups(request, MATRIX, plan, 2)
    for g in groups:
        (east_a, north_a), (east_b, north_b) = (quadrants[int(v[1:])] for v in g.routes)
        assert east_a == east_b or north_a == north_b


def test_done_stops_go_to_every_territory() -> None:
    day = city_day()
    request = replace(day, stops=(replace(day.stops[0], done=True), *day.stops[1:]))
    for part in split(request, 2):
        assert day.stops[0].id in {s.id for s in part.stops}
