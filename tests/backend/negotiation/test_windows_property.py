"""Every window offered can be inserted into the plan without breaking any other stop's window,
the capacity or the shift end (hypothesis over generated routes). Each offered window is re-simulated
twice: with dispatch's route simulation, and with a simulator written in this file.

Planar world: 1 unit = 1 m, travel at 1 m/s.
"""

from __future__ import annotations

import math
from dataclasses import replace

from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from backend.dispatch.planning.insertion import route_state
from backend.dispatch.planning.matrix import EuclideanMatrix, Point
from backend.dispatch.planning.model import Stop, Vehicle
from backend.dispatch.planning.schedule import evaluate
from backend.negotiation.windows import feasible_windows, spread

MATRIX = EuclideanMatrix(scale=1)
coord = st.integers(-500, 500)


@st.composite
def scenario(draw: st.DrawFn) -> tuple[Vehicle, list[Stop], Stop]:
    shift_end = draw(st.integers(2000, 9000))
    at = draw(st.integers(0, 500))
    v = Vehicle("a", draw(st.integers(5, 40)), 1000, 0, shift_end, Point(0, 0), "planar", Point(0, 0), at)
    stops = []
    for i in range(draw(st.integers(0, 8))):
        a = draw(st.integers(0, 5000))
        kind = draw(st.sampled_from(["pickup", "delivery"]))
        stops.append(
            Stop(
                f"s{i}",
                kind,
                draw(coord),
                draw(coord),
                a,
                a + draw(st.integers(0, 6000)),
                draw(st.integers(0, 120)),
                draw(st.integers(1, 10)),
            )
        )
    job = Stop(
        "job", "delivery", draw(coord), draw(coord), 0, 0, draw(st.integers(0, 120)), draw(st.integers(1, 10))
    )
    return v, stops, job


@settings(max_examples=300, deadline=None)
@given(scenario(), st.integers(300, 1800), st.integers(200, 900))
def test_every_offered_window_keeps_every_other_stop_capacity_and_shift(
    case: tuple[Vehicle, list[Stop], Stop], length: int, step: int
) -> None:
    v, route, job = case
    assume(evaluate(v, route, MATRIX).feasible)  # a plan that already breaks a window offers nothing honest
    offered = feasible_windows(
        job, route_state(v, route, MATRIX), MATRIX, range(0, v.shift_end, step), length
    )
    for a, b, pos in offered:
        placed = replace(job, tw_start=a, tw_end=b)
        after = evaluate(v, [*route[:pos], placed, *route[pos:]], MATRIX)
        assert after.feasible, (a, b, pos)
        visit = next(x for x in after.visits if x.stop_id == "job")
        assert a <= visit.start <= b
    chosen = spread(offered, 3)
    assert len(chosen) <= 3 and all(x[1] <= y[0] for x, y in zip(chosen, chosen[1:], strict=False))


# --- The same property, checked by a simulator written here (not dispatch's ``evaluate``) -------------
# The planar world spelled out once more: travel time is the truncated straight-line distance (1 m/s),
# the courier leaves their position at the position time (else the depot at the shift start), waits
# for a window that is not open yet, serves, and drives back to the depot. Deliveries ride from the
# start (plus what is already on board), pickups board where they are picked up.


def _travel(a: tuple[int, int], b: tuple[int, int]) -> int:
    return math.isqrt((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2)


def resimulate(v: Vehicle, stops: list[Stop], onboard: tuple[int, int]) -> tuple[list[str], dict[str, int]]:
    """Every broken rule of driving ``stops`` in order, and when each stop's service starts."""
    here = (int(v.start_point.x), int(v.start_point.y))
    t = v.position_time if v.position_time is not None else v.shift_start
    weight = onboard[0] + sum(s.weight_g for s in stops if s.kind == "delivery")
    volume = onboard[1] + sum(s.volume_cm3 for s in stops if s.kind == "delivery")
    broken = [] if weight <= v.capacity_weight_g and volume <= v.capacity_volume_cm3 else ["load at start"]
    starts = {}
    for s in stops:
        t += _travel(here, (int(s.x), int(s.y)))
        here = (int(s.x), int(s.y))
        t = max(t, s.tw_start)
        starts[s.id] = t
        if t > s.tw_end:
            broken.append(f"{s.id} starts at {t}, after its window ends at {s.tw_end}")
        t += s.service_s
        sign = -1 if s.kind == "delivery" else 1
        weight, volume = weight + sign * s.weight_g, volume + sign * s.volume_cm3
        if weight > v.capacity_weight_g or volume > v.capacity_volume_cm3:
            broken.append(f"load after {s.id}")
    back = t + _travel(here, (int(v.depot.x), int(v.depot.y)))
    if back > v.shift_end:
        broken.append(f"back at {back}, after the shift end {v.shift_end}")
    return broken, starts


@st.composite
def live_scenario(draw: st.DrawFn) -> tuple[Vehicle, list[Stop], Stop, tuple[int, int]]:
    """A courier somewhere on their round (position and time), carrying some pickups already."""
    shift_end = draw(st.integers(1500, 12000))
    at = draw(st.integers(0, 1500))
    v = Vehicle(
        "a",
        draw(st.integers(10, 80)),
        draw(st.integers(10, 80)),
        0,
        shift_end,
        Point(draw(coord), draw(coord)),
        "planar",
        Point(draw(coord), draw(coord)),
        at,
    )
    stops = []
    for i in range(draw(st.integers(0, 10))):
        a = draw(st.integers(0, 8000))
        stops.append(  # windows from tight (a few minutes) to most of the day
            Stop(
                f"s{i}",
                draw(st.sampled_from(["pickup", "delivery"])),
                draw(coord),
                draw(coord),
                a,
                a + draw(st.integers(300, 12000)),
                draw(st.integers(0, 300)),
                draw(st.integers(0, 10)),
                draw(st.integers(0, 10)),
            )
        )
    job = Stop(
        "job",
        "delivery",
        draw(coord),
        draw(coord),
        0,
        0,
        draw(st.integers(0, 300)),
        draw(st.integers(0, 10)),
        draw(st.integers(0, 10)),
    )
    onboard = (draw(st.integers(0, 10)), draw(st.integers(0, 10)))
    return v, stops, job, onboard


@settings(max_examples=200, deadline=None)
@given(live_scenario(), st.integers(300, 3600), st.integers(200, 1800))
def test_every_offered_window_passes_an_independent_resimulation(
    case: tuple[Vehicle, list[Stop], Stop, tuple[int, int]], length: int, step: int
) -> None:
    v, route, job, onboard = case
    assume(resimulate(v, route, onboard)[0] == [])  # a plan that already breaks a rule offers nothing honest
    state = route_state(v, route, MATRIX, onboard)
    offered = spread(feasible_windows(job, state, MATRIX, range(0, v.shift_end, step), length), 3)
    event(f"windows offered: {len(offered)}")
    for a, b, pos in offered:
        broken, starts = resimulate(
            v, [*route[:pos], replace(job, tw_start=a, tw_end=b), *route[pos:]], onboard
        )
        assert broken == [], (a, b, pos, broken)
        assert a <= starts["job"] <= b
