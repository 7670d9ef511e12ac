"""Every window offered can be inserted into the plan without breaking any other stop's window,
the capacity or the shift end (hypothesis over generated routes; re-simulated independently).

Planar world: 1 unit = 1 m, travel at 1 m/s.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import assume, given, settings
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
