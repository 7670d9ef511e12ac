"""repair_route(): keep the courier's order unless a re-plan gains more than the threshold.

Planar world: 1 unit = 1 m, travel at 1 m/s.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from backend.dispatch.planning import replan
from backend.dispatch.planning.matrix import EuclideanMatrix, Point
from backend.dispatch.planning.model import Stop, Vehicle
from backend.dispatch.planning.replan import ReplanThreshold, moved_stops, repair_route
from backend.dispatch.planning.solver import solve

MATRIX = EuclideanMatrix(scale=1)


def line_stops(xs: list[int]) -> dict[str, Stop]:
    return {f"s{x}": Stop(f"s{x}", "delivery", x, 0, service_s=10, weight_g=1) for x in xs}


def courier(sequence: list[str], **kw: object) -> Vehicle:
    base = Vehicle("c", 100, 100, 0, 100_000, Point(0, 0), profile="planar", sequence=tuple(sequence))
    return replace(base, **kw)  # type: ignore[arg-type]


def test_a_small_gain_does_not_reorder_the_courier() -> None:
    stops = line_stops([1000, 2000, 2050, 3000])
    # s2050 before s2000 costs 100 m extra on a 6 km route: below 5 % and below 1 km / 300 s.
    v = courier(["s1000", "s2050", "s2000", "s3000"])
    res = repair_route(v, stops, MATRIX, max_iterations=300)
    assert res.fresh_cost < res.current_cost
    assert not res.reordered
    assert res.sequence == v.sequence
    assert res.diff.moved == () and res.diff.added == ()


def test_a_large_gain_reorders_and_the_diff_lists_the_moves() -> None:
    stops = line_stops([1000, 2000, 3000, 4000])
    v = courier(["s4000", "s1000", "s3000", "s2000"])  # zig-zag: 12 km where 8 km will do
    res = repair_route(v, stops, MATRIX, max_iterations=300)
    assert res.current_cost == 12_000 and res.fresh_cost == 8_000
    assert res.reordered and res.route.distance == 8_000
    assert res.diff.moved == moved_stops(v.sequence, res.sequence) != ()
    assert set(res.diff.old_eta) == set(res.diff.new_eta) == set(stops)
    assert res.diff.new_eta["s1000"] < res.diff.old_eta["s1000"]


def test_the_threshold_is_configurable() -> None:
    stops = line_stops([1000, 2000, 2050, 3000])
    v = courier(["s1000", "s2050", "s2000", "s3000"])
    eager = ReplanThreshold(min_relative=0.0, min_duration_s=0, min_distance_m=1)
    res = repair_route(v, stops, MATRIX, threshold=eager, max_iterations=300)
    assert res.reordered and res.route.distance == 6_000
    assert res.diff.moved != ()


def test_done_stops_stay_fixed_and_planning_starts_at_the_courier() -> None:
    stops = line_stops([500, 1000, 2000, 3000])
    v = courier(
        ["s500", "s1000", "s3000", "s2000"],
        done_stop_ids=("s500", "s1000"),
        position=Point(1000, 0),
        position_time=1500,
    )
    res = repair_route(v, stops, MATRIX, max_iterations=300)
    assert res.done == ("s500", "s1000")
    assert set(res.sequence) == {"s2000", "s3000"}
    first = stops[res.sequence[0]]
    assert res.route.visits[0].arrival == 1500 + abs(first.x - 1000)  # from x=1000, leaving at t=1500


def test_new_stops_are_inserted_and_removed_ones_dropped() -> None:
    stops = line_stops([1000, 2000, 3000])
    v = courier(["s1000", "s2000", "s3000"])
    new = Stop("n", "pickup", 1500, 10, service_s=10, weight_g=1)
    res = repair_route(v, stops, MATRIX, new_stops=[new], removed_ids=["s3000"], max_iterations=300)
    assert res.sequence == ("s1000", "n", "s2000")
    assert res.diff.added == ("n",) and res.diff.removed == ("s3000",)
    assert not res.reordered


def test_an_infeasible_current_order_is_always_replaced() -> None:
    stops = line_stops([1000, 2000])
    stops["s2000"] = replace(stops["s2000"], tw_start=0, tw_end=2100)
    v = courier(["s2000", "s1000"])
    stops["s1000"] = replace(stops["s1000"], tw_end=1100)  # only reachable first
    res = repair_route(v, stops, MATRIX, max_iterations=300)
    assert res.reordered and res.sequence == ("s1000", "s2000")
    assert res.route.feasible


def test_moved_stops_is_the_smallest_set_to_move() -> None:
    assert moved_stops(["a", "b", "c", "d"], ["a", "b", "c", "d"]) == ()
    assert moved_stops(["a", "b", "c", "d"], ["d", "a", "b", "c"]) == ("d",)
    assert len(moved_stops(["a", "b", "c", "d"], ["d", "c", "b", "a"])) == 3
    assert moved_stops(["a", "x", "b"], ["b", "a"]) == ("b",) or moved_stops(["a", "x", "b"], ["b", "a"]) == (
        "a",
    )


def test_a_lone_feasible_stop_is_not_searched_and_gets_the_searched_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One stop has one order: the re-plan answers it without starting PyVRP, and the answer is the
    one the search gives (checked by running the search on the same route)."""
    searched = []
    monkeypatch.setattr(replan, "solve", lambda *a, **k: searched.append(1) or solve(*a, **k))
    stops = line_stops([500, 1000])
    v = courier(["s500", "s1000"], done_stop_ids=("s500",), position=Point(500, 0), position_time=600)
    res = repair_route(v, stops, MATRIX, max_iterations=300)
    assert searched == []
    assert res.sequence == ("s1000",) and not res.reordered and res.fresh_cost == res.current_cost
    assert [
        s.id
        for s in replan._solved(
            v,
            [replace(stops["s500"], done=True), stops["s1000"]],
            MATRIX,
            initial=[],  # not warm-started: the search finds it on its own
            distance_cost=1,
            duration_cost=0,
            time_limit_s=None,
            max_iterations=300,
            seed=0,
            criterion=None,
        )
    ] == ["s1000"]
    assert searched == [1]

    # An empty route, and a new lone stop inserted into it: no search either.
    assert repair_route(courier([]), {}, MATRIX).sequence == ()
    assert repair_route(courier([]), {}, MATRIX, new_stops=[stops["s1000"]]).sequence == ("s1000",)
    assert searched == [1]


def test_a_lone_stop_the_route_cannot_keep_is_still_searched(monkeypatch: pytest.MonkeyPatch) -> None:
    searched = []
    monkeypatch.setattr(replan, "solve", lambda *a, **k: searched.append(1) or solve(*a, **k))
    late = Stop("late", "delivery", 5000, 0, service_s=10, weight_g=1, tw_start=0, tw_end=100)
    res = repair_route(courier(["late"]), {"late": late}, MATRIX, max_iterations=100)
    assert searched == [1]  # its window closes before the courier can get there
    assert not res.route.feasible or res.sequence == ()
