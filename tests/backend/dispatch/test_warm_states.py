"""Warm route states: reused only for exactly the same inputs, so a stale state is never used."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from backend.dispatch.planning.insertion import route_state
from backend.dispatch.planning.matrix import HaversineMatrix, Point
from backend.dispatch.planning.model import Stop, Vehicle
from backend.dispatch.services import warm_states
from backend.dispatch.services.warm_states import warm_route_state

M = HaversineMatrix()
V = Vehicle("1", 300_000, 1_500_000, 8 * 3600, 20 * 3600, Point(120.13, 30.28), profile="e-tricycle")
STOPS = [
    Stop("a", "delivery", 120.14, 30.28, service_s=180, weight_g=1000, volume_cm3=6000),
    Stop("b", "pickup", 120.15, 30.29, tw_start=9 * 3600, tw_end=11 * 3600, service_s=300, weight_g=2000),
]


@pytest.fixture(autouse=True)
def _cold() -> None:
    warm_states.clear()


def _same(a: object, b: object) -> bool:
    return all(
        np.array_equal(x, y) if isinstance(x, np.ndarray) else x == y
        for x, y in zip(vars(a).values(), vars(b).values(), strict=True)
    )


def test_the_same_inputs_reuse_the_state_and_it_equals_a_fresh_build() -> None:
    first = warm_route_state(V, STOPS, M, (0, 0))
    again = warm_route_state(V, list(STOPS), M, (0, 0))
    assert again is first
    assert warm_states.stats == {"hits": 1, "misses": 1}
    assert _same(first, route_state(V, STOPS, M, (0, 0)))


@pytest.mark.parametrize(
    "change",
    [
        "new stop",
        "order",
        "window",
        "weight",
        "live start",
        "shift end",
        "capacity",
        "onboard",
        "speed",
    ],
)
def test_any_change_to_what_the_route_is_built_from_builds_a_fresh_state(change: str) -> None:
    old = warm_route_state(V, STOPS, M, (0, 0))
    v, stops, onboard, matrix = V, list(STOPS), (0, 0), M
    if change == "new stop":
        stops.append(Stop("c", "delivery", 120.12, 30.27, service_s=180, weight_g=500))
    elif change == "order":
        stops.reverse()
    elif change == "window":
        stops[1] = replace(stops[1], tw_end=10 * 3600)
    elif change == "weight":
        stops[0] = replace(stops[0], weight_g=299_500)
    elif change == "live start":
        v = replace(V, position=Point(120.14, 30.28), position_time=9 * 3600)
    elif change == "shift end":
        v = replace(V, shift_end=19 * 3600)
    elif change == "capacity":
        v = replace(V, capacity_weight_g=1_000)
    elif change == "onboard":
        onboard = (5_000, 0)
    else:
        matrix = HaversineMatrix(speeds_kmh={"e-tricycle": 10.0, "van": 25.0})
    new = warm_route_state(v, stops, matrix, onboard)
    assert new is not old
    assert warm_states.stats["hits"] == 0
    assert _same(new, route_state(v, stops, matrix, onboard))
