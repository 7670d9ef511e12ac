"""bench/route_checker.py: the independent checker flags each kind of broken route it is meant to catch."""

from __future__ import annotations

from backend.dispatch.planning.matrix import EuclideanMatrix, Point
from backend.dispatch.planning.model import PlanRequest, Stop, Vehicle
from bench.route_checker import check_routes

M = EuclideanMatrix(scale=1)  # unit speed: 1 distance unit = 1 second
DEPOT = Point(0, 0)


def _request(**vehicle: int) -> PlanRequest:
    stops = (
        Stop("a", "delivery", 10, 0, tw_start=0, tw_end=100, service_s=5, weight_g=4, volume_cm3=1),
        Stop("b", "pickup", 20, 0, tw_start=30, tw_end=40, service_s=5, weight_g=3, volume_cm3=1),
        Stop("c", "delivery", 0, 10, tw_start=0, tw_end=1000, service_s=5, weight_g=4, volume_cm3=1),
    )
    args = {"capacity_weight_g": 10, "capacity_volume_cm3": 10, "shift_start": 0, "shift_end": 200} | vehicle
    vehicles = (
        Vehicle("v1", depot=DEPOT, profile="planar", **args),
        Vehicle("v2", depot=DEPOT, profile="planar", **args),
    )
    return PlanRequest(stops=stops, vehicles=vehicles)


def test_a_feasible_day_passes_and_its_distance_is_measured() -> None:
    rep = check_routes(_request(), {"v1": ["a", "b"], "v2": ["c"]}, M)
    assert rep.ok, rep.violations
    assert rep.distance == 20 + 20 + 10 + 10  # 0→a→b→0, 0→c→0
    assert rep.served == 3


def test_a_missing_a_doubled_and_an_unknown_stop_are_flagged() -> None:
    rep = check_routes(_request(), {"v1": ["a", "b", "a"], "v2": ["x"]}, M)
    assert "stop a served 2 times" in rep.violations
    assert "stop c not served" in rep.violations
    assert "unknown stop x" in rep.violations


def test_a_window_missed_after_waiting_elsewhere_is_flagged() -> None:
    rep = check_routes(_request(), {"v1": ["c", "a", "b"]}, M, require_all=False)
    # 0→c 10, leave 15; →a 15+14=29, leave 34; →b 44 > 40
    assert any("stop b starts at 44 after its window end 40" in v for v in rep.violations), rep.violations


def test_capacity_at_the_start_and_after_a_pickup_is_flagged() -> None:
    tight = _request(capacity_weight_g=7)
    rep = check_routes(tight, {"v1": ["a", "c", "b"]}, M)  # leaves with 8 > 7
    assert any("leaves with [8, 2]" in v for v in rep.violations), rep.violations
    rep = check_routes(_request(capacity_weight_g=6), {"v1": ["b", "a"], "v2": ["c"]}, M)
    # leaves with 4, picks up 3 at b: 7 > 6
    assert any("after stop b load [7, 2]" in v for v in rep.violations), rep.violations


def test_coming_back_after_the_shift_end_is_flagged() -> None:
    rep = check_routes(_request(shift_end=50), {"v1": ["a", "b"], "v2": ["c"]}, M)
    assert any("vehicle v1: back at 55, after its shift end 50" in v for v in rep.violations), rep.violations
    assert not any("v2" in v for v in rep.violations)


def test_an_unknown_vehicle_is_flagged() -> None:
    rep = check_routes(_request(), {"v1": ["a", "b", "c"], "v9": []}, M)
    assert rep.violations == ["unknown vehicle v9"]
