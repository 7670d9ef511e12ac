"""Forward simulation of one route: ETAs, distance, duration, and which constraints break.

This is the single definition of "what a route does" outside PyVRP; the solver's schedule,
insertion, re-planning, the baseline and the tests are all checked against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .matrix import IntMatrix, MatrixProvider, leg_table
from .model import Stop, Vehicle, Visit


@dataclass(frozen=True)
class RouteEval:
    visits: tuple[Visit, ...]
    distance: int
    duration: int
    end_time: int
    lateness: int  # total seconds past any window end or the shift end
    excess_load: tuple[int, int]  # worst (weight, volume) over capacity on any leg

    @property
    def feasible(self) -> bool:
        return self.lateness == 0 and max(self.excess_load) <= 0


def onboard_load(vehicle: Vehicle, by_id: dict[str, Stop]) -> tuple[int, int]:
    """Load a live courier already carries: parcels picked up at stops done earlier today."""
    picked = [by_id[s].pickup for s in vehicle.done_stop_ids if s in by_id]
    return (sum(p[0] for p in picked), sum(p[1] for p in picked))


def leg_loads(vehicle: Vehicle, stops: Sequence[Stop]) -> np.ndarray:
    """Load (weight, volume) on each of the len(stops)+1 legs: deliveries leave, pickups board."""
    return leg_loads_of(stops)


def leg_loads_of(stops: Sequence[Stop]) -> np.ndarray:
    """``leg_loads``: it depends on the stops only."""
    amount = np.array([(s.weight_g, s.volume_cm3) for s in stops], dtype=np.int64).reshape(-1, 2)
    pickup = np.array([s.kind == "pickup" for s in stops], dtype=bool)[:, None]
    delivered = np.where(pickup, 0, amount)  # Stop.delivery / Stop.pickup, for all stops at once
    change = np.where(pickup, amount, 0) - delivered
    start = delivered.sum(axis=0)
    return np.vstack([start, start + np.cumsum(change, axis=0)])


def simulate(
    vehicle: Vehicle,
    stops: Sequence[Stop],
    leg_dist: Sequence[int] | IntMatrix,
    leg_dur: Sequence[int] | IntMatrix,
    onboard: tuple[int, int] = (0, 0),
) -> RouteEval:
    """Simulate ``stops`` in order; ``leg_*[k]`` is the leg arriving at stop k (last: to the depot).

    The courier leaves at ``vehicle.start_time`` and waits at a stop whose window is not open yet;
    ``onboard`` is load already carried (parcels picked up before a live re-plan).
    """
    t = vehicle.start_time
    lateness = 0
    visits = []
    for stop, travel in zip(stops, leg_dur, strict=False):
        arrival = t + int(travel)
        start = max(arrival, stop.tw_start)
        lateness += max(0, start - stop.tw_end)
        t = start + stop.service_s
        visits.append(Visit(stop.id, arrival, start, t))
    end = t + int(leg_dur[len(stops)])
    lateness += max(0, end - vehicle.shift_end)
    loads = leg_loads(vehicle, stops) + np.array(onboard, dtype=np.int64)
    excess = loads.max(axis=0) - np.array(vehicle.capacity)
    return RouteEval(
        visits=tuple(visits),
        distance=int(sum(int(d) for d in leg_dist[: len(stops) + 1])),
        duration=end - vehicle.start_time,
        end_time=end,
        lateness=lateness,
        excess_load=(int(excess[0]), int(excess[1])),
    )


def legs_from_matrix(order: Sequence[int], dist: IntMatrix, dur: IntMatrix) -> tuple[IntMatrix, IntMatrix]:
    """Leg arrays for a node-index path (start node first, end node last) through a square matrix."""
    idx = np.asarray(order, dtype=np.int64)
    return dist[idx[:-1], idx[1:]], dur[idx[:-1], idx[1:]]


def evaluate(
    vehicle: Vehicle, stops: Sequence[Stop], matrix: MatrixProvider, onboard: tuple[int, int] = (0, 0)
) -> RouteEval:
    """Simulate a route, asking ``matrix`` only for the legs it drives."""
    points = [vehicle.start_point, *(s.point for s in stops), vehicle.depot]
    legs_d, legs_t = leg_table(matrix, points, vehicle.profile)
    return simulate(vehicle, stops, legs_d, legs_t, onboard)


def route_cost(
    routes: dict[str, Sequence[Stop]],
    vehicles: Sequence[Vehicle],
    matrix: MatrixProvider,
    distance_cost: int = 1,
    duration_cost: int = 0,
) -> tuple[int, dict[str, RouteEval]]:
    """Recompute the objective of given routes (vehicle id → ordered stops) from the matrix."""
    by_id = {v.id: v for v in vehicles}
    evals = {vid: evaluate(by_id[vid], stops, matrix) for vid, stops in routes.items() if stops}
    cost = sum(distance_cost * e.distance + duration_cost * e.duration for e in evals.values())
    return cost, evals
