"""solve(): hard windows, two-dimensional capacity, shift end, mixed pickups/deliveries, determinism.

Planar world: 1 unit = 1 m, travel at 1 m/s (EuclideanMatrix with scale 1).
"""

from __future__ import annotations

from backend.dispatch.planning.matrix import EuclideanMatrix, Point
from backend.dispatch.planning.model import PlanRequest, Stop, Vehicle
from backend.dispatch.planning.schedule import evaluate, leg_loads, route_cost
from backend.dispatch.planning.solver import binding_dimensions, build_data, solve

MATRIX = EuclideanMatrix(scale=1)
DEPOT = Point(0, 0)


def van(vid: str, weight: int = 100, volume: int = 100, shift_end: int = 10_000) -> Vehicle:
    return Vehicle(vid, weight, volume, 0, shift_end, DEPOT, profile="planar")


def small_day() -> PlanRequest:
    stops = (
        Stop("d1", "delivery", 300, 0, tw_start=0, tw_end=400, service_s=30, weight_g=40, volume_cm3=10),
        Stop(
            "d2", "delivery", 300, 300, tw_start=1000, tw_end=1200, service_s=30, weight_g=40, volume_cm3=10
        ),
        Stop("d3", "delivery", -300, 0, tw_start=0, tw_end=2000, service_s=30, weight_g=40, volume_cm3=10),
        Stop("d4", "delivery", -300, 300, tw_start=500, tw_end=700, service_s=30, weight_g=40, volume_cm3=10),
        Stop("p1", "pickup", 0, 400, tw_start=0, tw_end=3000, service_s=60, weight_g=30, volume_cm3=40),
        Stop("p2", "pickup", 0, -400, tw_start=1500, tw_end=1800, service_s=60, weight_g=30, volume_cm3=40),
        Stop("p3", "pickup", 200, -200, tw_start=0, tw_end=3000, service_s=60, weight_g=30, volume_cm3=40),
    )
    return PlanRequest(stops=stops, vehicles=(van("a"), van("b"), van("c")))


def test_every_eta_respects_its_window_and_matches_an_independent_simulation() -> None:
    request = small_day()
    plan = solve(request, MATRIX, max_iterations=300, seed=1)
    by_id = {s.id: s for s in request.stops}
    assert plan.feasible and plan.unassigned == ()
    for route in plan.routes:
        for visit in route.visits:
            stop = by_id[visit.stop_id]
            assert visit.arrival <= visit.start == max(visit.arrival, stop.tw_start)
            assert stop.tw_start <= visit.start <= stop.tw_end
            assert visit.departure == visit.start + stop.service_s
        vehicle = next(v for v in request.vehicles if v.id == route.vehicle_id)
        replay = evaluate(vehicle, [by_id[s] for s in route.stop_ids], MATRIX)
        assert replay.visits == route.visits
        assert replay.distance == route.distance


def test_weight_and_volume_capacity_hold_on_every_leg() -> None:
    request = small_day()
    plan = solve(request, MATRIX, max_iterations=300, seed=1)
    by_id = {s.id: s for s in request.stops}
    for route in plan.routes:
        vehicle = next(v for v in request.vehicles if v.id == route.vehicle_id)
        loads = leg_loads(vehicle, [by_id[s] for s in route.stop_ids])
        assert (loads <= vehicle.capacity).all()
    # 4 deliveries × 40 g on vans of 100 g: no route can carry more than two of them.
    assert all(sum(s.startswith("d") for s in r.stop_ids) <= 2 for r in plan.routes)


def test_volume_alone_can_bind() -> None:
    stops = tuple(Stop(f"d{i}", "delivery", 10 * i, 0, weight_g=1, volume_cm3=60) for i in range(1, 4))
    plan = solve(PlanRequest(stops, (van("a"), van("b"), van("c"))), MATRIX, max_iterations=200)
    assert plan.unassigned == ()
    assert sorted(len(r.visits) for r in plan.routes) == [1, 1, 1]


def test_a_dimension_no_route_could_fill_is_left_out_of_the_search() -> None:
    # Three deliveries of 60 cm³ and 1 g on vans of 100 g / 100 cm³: only volume can bind.
    stops = tuple(Stop(f"d{i}", "delivery", 10 * i, 0, weight_g=1, volume_cm3=60) for i in range(1, 4))
    request = PlanRequest(stops, (van("a"), van("b"), van("c")))
    assert binding_dimensions(request) == (1,)
    data, _, _ = build_data(request, MATRIX)
    assert data.num_load_dimensions == 1
    assert [c.delivery for c in data.clients()] == [[60]] * 3
    assert [vt.capacity for vt in data.vehicle_types()] == [[100]]
    # Both bind on the small day (120 g of pickups alone; 120 cm³ of them); nothing binds on a
    # tiny one, where weight stays (PyVRP's data keeps one dimension).
    assert binding_dimensions(small_day()) == (0, 1)
    tiny = PlanRequest(stops[:1], (van("a"),))
    assert binding_dimensions(tiny) == (0,)
    assert build_data(tiny, MATRIX)[0].num_load_dimensions == 1


def test_a_part_of_a_day_can_be_given_the_whole_days_dimensions() -> None:
    # One delivery alone fits (60 ≤ 100 cm³) but its route group models volume, as the whole day
    # does: the groups start from the whole day's penalties, one per dimension.
    stops = tuple(Stop(f"d{i}", "delivery", 10 * i, 0, weight_g=1, volume_cm3=60) for i in range(1, 4))
    part = PlanRequest(stops[:1], (van("a"),))
    data, _, _ = build_data(part, MATRIX, dims=(0, 1))
    assert data.num_load_dimensions == 2 and data.clients()[0].delivery == [1, 60]


def test_pickups_and_deliveries_share_one_route_deliveries_first_when_the_van_is_full() -> None:
    # 100 g loaded at the station; a pickup before both deliveries would overload the van.
    stops = (
        Stop("p1", "pickup", 100, 0, weight_g=50),
        Stop("p2", "pickup", 200, 0, weight_g=50),
        Stop("d1", "delivery", 300, 0, weight_g=50),
        Stop("d2", "delivery", 400, 0, weight_g=50),
    )
    plan = solve(PlanRequest(stops, (van("a"),)), MATRIX, max_iterations=300)
    (route,) = plan.routes
    assert plan.unassigned == ()
    order = route.stop_ids
    assert set(order) == {"p1", "p2", "d1", "d2"}
    assert max(order.index("d1"), order.index("d2")) < min(order.index("p1"), order.index("p2"))


def test_shift_end_is_respected_and_an_unreachable_stop_is_left_unassigned() -> None:
    stops = (
        Stop("near", "delivery", 100, 0, service_s=10, weight_g=1),
        Stop("far", "delivery", 3000, 0, service_s=10, weight_g=1),  # 6,000 s round trip
    )
    plan = solve(PlanRequest(stops, (van("a", shift_end=5000),)), MATRIX, max_iterations=200)
    assert plan.unassigned == ("far",)
    assert plan.routes[0].stop_ids == ["near"]
    assert plan.routes[0].end_time <= 5000


def test_a_window_that_cannot_be_met_leaves_only_that_stop_out() -> None:
    request = small_day()
    late = Stop("impossible", "delivery", 5000, 0, tw_start=0, tw_end=100, weight_g=1)
    plan = solve(PlanRequest((*request.stops, late), request.vehicles), MATRIX, max_iterations=300)
    assert plan.unassigned == ("impossible",)


def test_same_seed_and_iteration_budget_give_the_identical_plan() -> None:
    request = small_day()
    first = solve(request, MATRIX, max_iterations=400, seed=7)
    second = solve(request, MATRIX, max_iterations=400, seed=7)
    assert first == second


def test_route_cost_recomputes_the_plan_cost_from_the_matrix() -> None:
    request = small_day()
    plan = solve(request, MATRIX, max_iterations=300, seed=1)
    by_id = {s.id: s for s in request.stops}
    routes = {r.vehicle_id: [by_id[s] for s in r.stop_ids] for r in plan.routes}
    cost, evals = route_cost(routes, request.vehicles, MATRIX)
    assert cost == plan.cost
    assert all(e.feasible for e in evals.values())


def test_a_live_courier_starts_where_and_when_it_is() -> None:
    courier = Vehicle(
        "a",
        100,
        100,
        0,
        10_000,
        DEPOT,
        profile="planar",
        position=Point(500, 0),
        position_time=2000,
        done_stop_ids=("old",),
    )
    stops = (
        Stop("old", "pickup", 500, 0, weight_g=90, done=True),
        Stop("next", "delivery", 600, 0, weight_g=5),
        Stop("heavy", "pickup", 700, 0, weight_g=20),
    )
    plan = solve(PlanRequest(stops, (courier,)), MATRIX, max_iterations=200)
    # 90 g picked up at "old" is still on board: only 10 g of room left, so "heavy" cannot come.
    assert plan.unassigned == ("heavy",)
    assert plan.routes[0].visits[0].arrival == 2100


def test_a_partitioned_day_serves_every_stop_once_within_all_constraints() -> None:
    from backend.dispatch.planning.partition import solve_partitioned

    stops = tuple(
        Stop(
            f"s{i}",
            "delivery" if i % 3 else "pickup",
            400 * ((i * 7) % 11 - 5),
            400 * ((i * 5) % 9 - 4),
            tw_start=0 if i % 5 else 3000,
            tw_end=9000 if i % 5 else 6600,
            service_s=60,
            weight_g=10,
        )
        for i in range(40)
    )
    request = PlanRequest(stops, tuple(van(f"v{k}", weight=200, shift_end=20_000) for k in range(4)))
    plan = solve_partitioned(request, MATRIX, n_groups=2, max_iterations=300, workers=2)
    served = [s for r in plan.routes for s in r.stop_ids]
    assert plan.feasible and plan.unassigned == ()
    assert sorted(served) == sorted(s.id for s in stops)
