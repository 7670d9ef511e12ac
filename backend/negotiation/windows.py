"""Time windows the courier's route can keep: the insertion check of dispatch, per candidate window.

A window [a, a + length] is offered only if the job's stop, given that window, can be inserted
somewhere in the courier's remaining route (without the job itself) so that every other stop
still meets its window, the load fits the vehicle on every leg, and the courier is back by the
shift end (``dispatch.planning.insertion.cheapest_insertion``). Today's windows start from where
the courier is now; tomorrow's from tomorrow's route and shift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from backend.couriers.models import Courier
from backend.dispatch.planning.insertion import RouteState, cheapest_insertion, route_state
from backend.dispatch.planning.matrix import MatrixProvider
from backend.dispatch.planning.model import Stop
from backend.dispatch.planning.schedule import onboard_load
from backend.dispatch.services.planning import load_day
from backend.dispatch.services.routes import MATRIX, job_stop, stop_id
from backend.shipments.models import Job

WINDOW_S = 3600  # the one-hour window customers are offered
STEP_S = 1800  # candidate windows start on the half hour
LEAD_S = 1800  # the earliest window starts this long after now (the courier must get there)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    position: int  # where in the remaining route the stop would go


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


def job_windows(job: Job, day: date, now: datetime, *, limit: int = 3) -> list[Window]:
    """Windows on ``day`` that the job's courier can keep; none for a job without courier or place.

    ``job.shipment`` must be loaded (the stop's weight and size come from it).
    """
    if job.courier_id is None:
        return []
    courier = Courier.objects.select_related("station").get(pk=job.courier_id)
    cday = load_day(courier, day, now)
    stop = job_stop(job, cday.clock)
    if stop is None:
        return []
    own = stop_id(job.pk)
    others = [cday.stops[s] for s in cday.remaining if s != own]
    state = route_state(cday.vehicle, others, MATRIX, onboard_load(cday.vehicle, cday.stops))
    first = max(cday.vehicle.start_time, cday.clock.sec(now) + LEAD_S)
    first += -first % STEP_S
    starts = range(first, cday.vehicle.shift_end - WINDOW_S + 1, STEP_S)
    found = spread(feasible_windows(stop, state, MATRIX, starts), limit)
    return [Window(cday.clock.at(a), cday.clock.at(b), pos) for a, b, pos in found]
