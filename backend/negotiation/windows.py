"""Which one-hour windows a route can keep: pure planning math over dispatch's insertion check.

A window [a, a + length] is offered only if the job's stop, given that window, can be inserted
somewhere in the courier's remaining route (without the job itself) so that every other stop
still meets its window, the load fits the vehicle on every leg, and the courier is back by the
shift end (``dispatch.planning.insertion.cheapest_insertion``). ``route_windows`` feeds it a
courier's day from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from backend.dispatch.planning.insertion import RouteState, cheapest_insertion
from backend.dispatch.planning.matrix import MatrixProvider
from backend.dispatch.planning.model import Stop

WINDOW_S = 3600  # the one-hour window customers are offered
STEP_S = 1800  # candidate windows start on the half hour
LEAD_S = 1800  # the earliest window starts this long after now (the courier must get there)


def feasible_windows(
    stop: Stop, state: RouteState, matrix: MatrixProvider, starts: Sequence[int], length_s: int = WINDOW_S
) -> list[tuple[int, int, int]]:
    """``(start, end, position)`` of every candidate start at which ``stop`` can be inserted."""
    found = []
    for a in starts:
        ins = cheapest_insertion(replace(stop, tw_start=a, tw_end=a + length_s), [state], matrix)
        if ins is not None:
            found.append((a, a + length_s, ins.position))
    return found


def spread(windows: list[tuple[int, int, int]], limit: int) -> list[tuple[int, int, int]]:
    """The earliest ``limit`` windows that do not overlap each other (fewer, clearer buttons)."""
    chosen: list[tuple[int, int, int]] = []
    for w in windows:
        if len(chosen) < limit and (not chosen or w[0] >= chosen[-1][1]):
            chosen.append(w)
    return chosen
