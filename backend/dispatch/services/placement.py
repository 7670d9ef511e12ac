"""Where jobs a person gives to a courier go in that courier's route: each at its cheapest feasible
place, tightest window first, the route written once (``place_many``, for ``reassignment.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from django.utils import timezone
from numpy.typing import NDArray

from backend.dispatch.models import AlertKind
from backend.dispatch.planning.insertion import cheapest_insertion, route_state
from backend.dispatch.planning.matrix import IntMatrix, Point, leg_table
from backend.dispatch.planning.model import OPEN_END
from backend.dispatch.planning.schedule import onboard_load
from backend.dispatch.services.audit import alerts_raise
from backend.dispatch.services.planning import write_order
from backend.dispatch.services.routes import MATRIX, CourierDay, job_stop, stop_id
from backend.shipments.context import Ctx
from backend.shipments.models import Job


def place_many(day: CourierDay, jobs: Sequence[Job], ctx: Ctx, *, locked: bool = False) -> list[int]:
    """Insert just-assigned jobs into the route read in ``day``, tightest window first, each at its
    cheapest feasible position; those with none go last, flagged ``at_risk`` (the supervisor's
    call stands); write the route once. Returns the at-risk job ids.

    The route's insertion state is rebuilt only after a job is placed in it. A job that fits
    nowhere now fits nowhere once more stops are in the route (an added stop only delays the ones
    after it and adds load), so it needs no fresh state, and the at-risk jobs go after the jobs
    placed in time instead of pushing them past the shift's end. So 200 jobs dropped on a full
    route cost one state, not 200.
    """
    order, at_risk = list(day.remaining), []
    late: list[Job] = []
    matrix = DayMatrix.of(day, jobs)
    state = None
    for job in sorted(jobs, key=lambda j: (j.window_end is None, j.window_end or timezone.now(), j.pk)):
        stop = job_stop(job, day.clock)
        if stop is None:
            day.unlocated.append(job)
            continue
        day.jobs[stop.id] = job
        if state is None:
            stops = [day.stops[s] for s in order]
            state = route_state(day.vehicle, stops, matrix, onboard_load(day.vehicle, day.stops))
        ins = cheapest_insertion(stop, [state], matrix)
        if ins is None:
            # Its window lifted, as the next read of the route lifts a window it cannot meet
            # (routes.build_day): it is served late, and the rest of the route is judged without it.
            day.stops[stop.id] = replace(stop, tw_end=OPEN_END)
            late.append(job)
            continue
        day.stops[stop.id] = stop
        order.insert(ins.position, stop.id)
        state = None
    order += [stop_id(j.pk) for j in late]
    at_risk = [j.pk for j in late]
    alerts_raise(
        jobs=late,
        kind=AlertKind.AT_RISK,
        courier_id=day.courier.pk,
        message=f"reassigned to {day.courier.employee_no}, whose route cannot meet its window",
    )
    day.order, day.new = order, []
    write_order(day, order, ctx, locked=locked)
    return at_risk


@dataclass
class DayMatrix:
    """``MATRIX`` between every point of one courier's day and the stops coming into it, computed
    once: placing N jobs asks N times for the distances between the route's nodes and the job
    (``cheapest_insertion``) and, after each placement, for the route's legs (``route_state``).
    Same values as ``MATRIX`` (the same formula per pair); any other point or profile is asked of
    ``MATRIX``. Points are found by their coordinates (a tuple's hash, not the dataclass's Python
    one) and the last few point lists by identity: a route's node tuple is asked for twice per job
    until a job is placed in it."""

    profile: str
    index: dict[tuple[float, float], int]
    dist: IntMatrix
    dur: IntMatrix
    _seen: dict[int, tuple[Sequence[Point], NDArray[np.intp] | None]] = field(
        default_factory=dict, compare=False
    )

    @classmethod
    def of(cls, day: CourierDay, jobs: Sequence[Job]) -> DayMatrix:
        coming = [s for j in jobs if (s := job_stop(j, day.clock)) is not None]
        points = list(
            dict.fromkeys(
                [day.vehicle.start_point, day.vehicle.depot, *(s.point for s in day.stops.values())]
                + [s.point for s in coming]
            )
        )
        dist, dur = MATRIX.matrix(points, day.vehicle.profile)
        return cls(day.vehicle.profile, {(p.x, p.y): i for i, p in enumerate(points)}, dist, dur)

    def table(
        self, sources: Sequence[Point], destinations: Sequence[Point], vehicle_profile: str
    ) -> tuple[IntMatrix, IntMatrix]:
        rows, cols = self._at(sources), self._at(destinations)
        if vehicle_profile != self.profile or rows is None or cols is None:
            return MATRIX.table(sources, destinations, vehicle_profile)
        pick = np.ix_(rows, cols)
        return self.dist[pick], self.dur[pick]

    def _at(self, points: Sequence[Point]) -> NDArray[np.intp] | None:
        seen = self._seen.get(id(points))
        if seen is not None and seen[0] is points:  # the entry holds the list, so its id is its own
            return seen[1]
        index = self.index
        at = [index.get((p.x, p.y)) for p in points]
        found = None if None in at else np.array(at, dtype=np.intp)
        if len(points) > 8:  # worth remembering: a route's nodes, not a single stop's point
            if len(self._seen) >= 4:
                self._seen.pop(next(iter(self._seen)))
            self._seen[id(points)] = (points, found)
        return found

    def matrix(self, points: Sequence[Point], vehicle_profile: str) -> tuple[IntMatrix, IntMatrix]:
        return self.table(points, points, vehicle_profile)

    def legs(self, points: Sequence[Point], vehicle_profile: str) -> tuple[IntMatrix, IntMatrix]:
        """The path's legs (``leg_table``): n − 1 cells of the day's table, not the n² of ``matrix``."""
        at = self._at(points)
        if vehicle_profile != self.profile or at is None:
            return leg_table(MATRIX, points, vehicle_profile)
        return self.dist[at[:-1], at[1:]], self.dur[at[:-1], at[1:]]
