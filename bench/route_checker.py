"""An independent checker for a day's routes: written for the benchmarks, sharing no code with the
planners (not ``schedule.evaluate``, not PyVRP's own feasibility), so a planner bug cannot hide in it.

Given the request (stops, vehicles), the routes as plain lists of stop ids per vehicle, and the
travel matrix (the instance's data, as a distance matrix is part of a VRPLIB instance), it re-drives
every route and lists every broken rule:

* every open stop of the request is served exactly once; no unknown or done stop is visited;
  no vehicle is used twice or unknown;
* the courier leaves its start (station, or where it is when live) at its start time, waits for a
  window to open, and must *start* service no later than the window's end;
* back at the station no later than the shift end;
* load: deliveries are on board from the start, a pickup's parcel from its stop on; the load on
  every leg (weight and volume) stays within capacity.

It also returns the routes' total distance by the same matrix, so a plan's stated cost can be
compared with what its routes really measure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Report:
    violations: list[str] = field(default_factory=list)
    distance: int = 0
    served: int = 0

    @property
    def ok(self) -> bool:
        return not self.violations


def check_routes(
    request: Any,
    routes: Mapping[str, Sequence[str]],
    matrix: Any,
    *,
    require_all: bool = True,
) -> Report:
    """Check ``routes`` (vehicle id → stop ids in visiting order) against ``request``.

    ``require_all``: a stop left out is a violation (the station day and the benchmarks serve every
    stop); otherwise only stops served twice or unknown count.
    """
    rep = Report()
    stops = {s.id: s for s in request.stops}
    vehicles = {v.id: v for v in request.vehicles}
    for vid in routes:
        if vid not in vehicles:
            rep.violations.append(f"unknown vehicle {vid}")
    counts = Counter(s for seq in routes.values() for s in seq)
    for sid, n in sorted(counts.items()):
        if sid not in stops:
            rep.violations.append(f"unknown stop {sid}")
        elif stops[sid].done:
            rep.violations.append(f"stop {sid} is done but visited again")
        elif n > 1:
            rep.violations.append(f"stop {sid} served {n} times")
    if require_all:
        for sid, s in stops.items():
            if not s.done and sid not in counts:
                rep.violations.append(f"stop {sid} not served")
    rep.served = sum(1 for sid in counts if sid in stops)
    for vid, seq in routes.items():
        v = vehicles.get(vid)
        if v is None or not seq:
            continue
        visits = [stops[s] for s in seq if s in stops]
        _drive(v, visits, matrix, rep)
    return rep


def _drive(v: Any, visits: list[Any], matrix: Any, rep: Report) -> None:
    start_point = v.position if v.position is not None else v.depot
    clock = v.position_time if v.position_time is not None else v.shift_start
    points = [start_point, *((s.x, s.y) for s in visits), v.depot]
    dist, dur = matrix.matrix([_pt(p, v) for p in points], v.profile)
    cap = (v.capacity_weight_g, v.capacity_volume_cm3)
    load = [sum(s.weight_g for s in visits if s.kind == "delivery"), 0]
    load[1] = sum(s.volume_cm3 for s in visits if s.kind == "delivery")
    if load[0] > cap[0] or load[1] > cap[1]:
        rep.violations.append(f"vehicle {v.id}: leaves with {load} over capacity {list(cap)}")
    for i, s in enumerate(visits, start=1):
        clock += int(dur[i - 1][i])
        rep.distance += int(dist[i - 1][i])
        begin = max(clock, s.tw_start)
        if begin > s.tw_end:
            rep.violations.append(
                f"vehicle {v.id}: stop {s.id} starts at {begin} after its window end {s.tw_end}"
            )
        clock = begin + s.service_s
        sign = -1 if s.kind == "delivery" else 1
        load = [load[0] + sign * s.weight_g, load[1] + sign * s.volume_cm3]
        if load[0] > cap[0] or load[1] > cap[1]:
            rep.violations.append(f"vehicle {v.id}: after stop {s.id} load {load} over capacity {list(cap)}")
    last = len(visits)
    clock += int(dur[last][last + 1])
    rep.distance += int(dist[last][last + 1])
    if clock > v.shift_end:
        rep.violations.append(f"vehicle {v.id}: back at {clock}, after its shift end {v.shift_end}")


def _pt(p: Any, v: Any) -> Any:
    """A point in the matrix provider's own type (the depot's class), built from an (x, y) pair."""
    return p if not isinstance(p, tuple) or type(p) is type(v.depot) else type(v.depot)(p[0], p[1])
