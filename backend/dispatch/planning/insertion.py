"""Cheapest feasible insertion of one new stop into live routes, in O(1) per candidate position.

Each route keeps precomputed arrays (:class:`RouteState`): departure times, the *latest* service
start at every node that still lets all later stops and the return meet their windows and the
shift end (the forward time slack in "latest start" form), cumulative waiting, and prefix/suffix
maxima of the on-board load. Putting stop j between nodes k and k+1 is then feasible iff

* j's own window is met: ``max(dep[k] + t(k,j), a_j) <= b_j``;
* node k+1 can still start in time: ``max(arr_{k+1}, a_{k+1}) <= latest[k+1]`` — waiting later in
  the route absorbs the push, so nothing after k+1 needs to be looked at;
* a delivery fits on every leg before it (``prefix_max[k] + w <= cap``), a pickup on every leg
  after it (``suffix_max[k] + w <= cap``).

All positions of a route are checked at once with numpy. Build states once per route change;
an assignment decision then only costs one 1×N and one N×1 table call per vehicle profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .matrix import MatrixProvider, Point, PointArray, leg_table
from .model import Stop, Vehicle
from .schedule import leg_loads


@dataclass(frozen=True)
class RouteState:
    vehicle: Vehicle
    stops: tuple[Stop, ...]
    points: tuple[Point, ...]  # start, stops..., station
    departure: np.ndarray  # per node 0..n: when the courier leaves it
    start: np.ndarray  # per node 0..n+1: service start (for the station: arrival)
    tw_start: np.ndarray  # per node 0..n+1
    latest: np.ndarray  # per node 0..n+1: latest service start keeping the rest feasible
    wait_after: np.ndarray  # per node 0..n+1: total waiting at nodes after it
    leg_dist: np.ndarray
    leg_dur: np.ndarray
    prefix_max: np.ndarray  # (n+1, 2): max load on legs 0..k
    suffix_max: np.ndarray  # (n+1, 2): max load on legs k..n
    capacity: np.ndarray


@dataclass(frozen=True)
class Insertion:
    vehicle_id: str
    position: int  # index in the route's stop list the new stop will have
    added_distance: int
    added_duration: int  # how much later the courier is back at the station
    cost: int


def route_state(
    vehicle: Vehicle, stops: Sequence[Stop], matrix: MatrixProvider, onboard: tuple[int, int] = (0, 0)
) -> RouteState:
    """Precompute a route; ``onboard`` is load already carried (pickups done earlier today).

    Both time passes are closed forms over cumulative sums, not loops: with ``D[i]`` the time from
    leaving the start to arriving at node i when nobody waits (service plus legs), the service
    start is ``start[i] = D[i] + max over j ≤ i of (a[j] − D[j])`` (the courier waits for the
    latest-opening window behind them) and the latest start is
    ``latest[i] = D[i] + min over j ≥ i of (b[j] − D[j])``. Integer arithmetic, so the values are
    exactly those of the step-by-step recurrences (``tests/backend/dispatch/test_insertion.py``).
    Only the legs are asked of the matrix (``leg_table``), not the route's whole square.
    """
    points = PointArray((vehicle.start_point, *(s.point for s in stops), vehicle.depot))
    leg_dist, leg_dur = leg_table(matrix, points, vehicle.profile)
    tw_a = np.array([0, *(s.tw_start for s in stops), 0], dtype=np.int64)
    tw_b = np.array([vehicle.start_time, *(s.tw_end for s in stops), vehicle.shift_end], dtype=np.int64)
    service = np.array([0, *(s.service_s for s in stops), 0], dtype=np.int64)
    loads = leg_loads(vehicle, stops) + np.array(onboard, dtype=np.int64)
    return state_of_arrays(vehicle, stops, points, leg_dist, leg_dur, tw_a, tw_b, service, loads)


def state_of_arrays(
    vehicle: Vehicle,
    stops: Sequence[Stop],
    points: tuple[Point, ...],
    leg_dist: np.ndarray,
    leg_dur: np.ndarray,
    tw_a: np.ndarray,
    tw_b: np.ndarray,
    service: np.ndarray,
    loads: np.ndarray,
) -> RouteState:
    """``route_state`` from its per-node arrays (windows, service, legs, load per leg), for a
    caller that keeps them between calls; node 0 is the start, node n + 1 the station."""
    step = np.concatenate([[0], service[:-1] + leg_dur])  # node i-1 → node i, without waiting
    reach = np.cumsum(step)  # D above
    opens = tw_a.copy()
    opens[0] = vehicle.start_time  # the courier sets off at the start time, whatever node 0's window
    start = reach + np.maximum.accumulate(opens - reach)
    arrival = np.concatenate([[vehicle.start_time], start[:-1] + step[1:]])
    latest = reach + np.minimum.accumulate((tw_b - reach)[::-1])[::-1]
    wait = start - arrival
    wait_after = np.concatenate([np.cumsum(wait[::-1])[::-1][1:], [0]])
    return RouteState(
        vehicle=vehicle,
        stops=tuple(stops),
        points=points,
        departure=(start + service)[:-1],
        start=start,
        tw_start=tw_a,
        latest=latest,
        wait_after=wait_after,
        leg_dist=leg_dist,
        leg_dur=leg_dur,
        prefix_max=np.maximum.accumulate(loads, axis=0),
        suffix_max=np.maximum.accumulate(loads[::-1], axis=0)[::-1],
        capacity=np.array(vehicle.capacity, dtype=np.int64),
    )


def _candidates(
    stop: Stop, r: RouteState, d_in: np.ndarray, t_in: np.ndarray, d_out: np.ndarray, t_out: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feasibility mask, added distance and added duration for every position 0..n of one route.

    ``d_in[k]``/``t_in[k]``: node k → new stop; ``d_out[k]``/``t_out[k]``: new stop → node k.
    """
    arr_j = r.departure + t_in[:-1]
    start_j = np.maximum(arr_j, stop.tw_start)
    arr_next = start_j + stop.service_s + t_out[1:]
    new_start_next = np.maximum(arr_next, r.tw_start[1:])
    ok = (start_j <= stop.tw_end) & (new_start_next <= r.latest[1:])
    if stop.kind == "delivery":
        ok &= np.all(r.prefix_max + np.array(stop.delivery) <= r.capacity, axis=1)
    else:
        ok &= np.all(r.suffix_max + np.array(stop.pickup) <= r.capacity, axis=1)
    added_dist = d_in[:-1] + d_out[1:] - r.leg_dist
    push = new_start_next - r.start[1:]  # delay at node k+1, later soaked up by waiting
    added_dur = np.maximum(0, push - r.wait_after[1:])
    return ok, added_dist, added_dur


def cheapest_insertion(
    stop: Stop,
    routes: Sequence[RouteState],
    matrix: MatrixProvider,
    distance_cost: int = 1,
    duration_cost: int = 0,
) -> Insertion | None:
    """The cheapest position over all routes that keeps every route feasible, or None.

    Ties go to the smaller added distance, then the earlier route, then the earlier position, so
    the answer is deterministic.
    """
    best: tuple[tuple[int, int, int, int], Insertion] | None = None
    for profile in sorted({r.vehicle.profile for r in routes}):
        members = [(i, r) for i, r in enumerate(routes) if r.vehicle.profile == profile]
        # One route: its own points tuple (a provider may recognise it from the previous call);
        # several: their coordinate arrays stacked rather than thousands of points converted.
        parts = [r.points for _, r in members]
        if len(parts) == 1:
            nodes: Sequence[Point] = parts[0]
        elif all(isinstance(p, PointArray) for p in parts):
            nodes = PointArray.joined([p for p in parts if isinstance(p, PointArray)])
        else:
            nodes = [p for part in parts for p in part]
        d_in, t_in = (m[:, 0] for m in matrix.table(nodes, [stop.point], profile))
        d_out, t_out = (m[0] for m in matrix.table([stop.point], nodes, profile))
        offset = 0
        for i, r in members:
            sl = slice(offset, offset + len(r.points))
            offset += len(r.points)
            ok, add_d, add_t = _candidates(stop, r, d_in[sl], t_in[sl], d_out[sl], t_out[sl])
            if not ok.any():
                continue
            cost = distance_cost * add_d + duration_cost * add_t
            pos = np.flatnonzero(ok)
            k = int(pos[np.lexsort((pos, add_d[pos], cost[pos]))[0]])
            key = (int(cost[k]), int(add_d[k]), i, k)
            if best is None or key < best[0]:
                ins = Insertion(r.vehicle.id, k, int(add_d[k]), int(add_t[k]), int(cost[k]))
                best = (key, ins)
    return best[1] if best else None
