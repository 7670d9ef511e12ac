"""Nearest neighbour + 2-opt: the simple planner the solver is compared against in benchmarks.

Routes are built one vehicle at a time: from where the courier is, go to the closest stop (distance
plus any wait for its window) that can still be reached in its window, fits on board and leaves
time to return before shift end; when nothing fits, go home and start the next vehicle. Each route
is then improved by 2-opt moves that shorten it and keep it feasible.
"""

from __future__ import annotations

import numpy as np

from .matrix import IntMatrix, MatrixProvider
from .model import Plan, PlanRequest, RoutePlan, Stop, Vehicle
from .schedule import legs_from_matrix, simulate


def _nearest_route(
    v: Vehicle, stops: list[Stop], free: np.ndarray, dist: IntMatrix, dur: IntMatrix, home: int, here: int
) -> list[int]:
    """Greedy route for one vehicle over stop indices (stop k is matrix node k + 2)."""
    a = np.array([s.tw_start for s in stops], dtype=np.int64)
    b = np.array([s.tw_end for s in stops], dtype=np.int64)
    service = np.array([s.service_s for s in stops], dtype=np.int64)
    dlv = np.array([s.delivery for s in stops], dtype=np.int64).reshape(-1, 2)
    pck = np.array([s.pickup for s in stops], dtype=np.int64).reshape(-1, 2)
    cap = np.array(v.capacity, dtype=np.int64)
    route: list[int] = []
    t, node = v.start_time, here
    max_load = np.zeros(2, dtype=np.int64)  # highest load on any leg so far
    end_load = np.zeros(2, dtype=np.int64)  # load after the last stop
    while True:
        cand = np.flatnonzero(free)
        if cand.size == 0:
            return route
        start = np.maximum(t + dur[node, cand + 2], a[cand])
        # a delivery adds to every earlier leg, a pickup to the legs after it
        fits = np.all(np.maximum(max_load + dlv[cand], end_load + dlv[cand] + pck[cand]) <= cap, axis=1)
        ok = (start <= b[cand]) & (start + service[cand] + dur[cand + 2, home] <= v.shift_end) & fits
        if not ok.any():
            return route
        score = dist[node, cand + 2] + (start - t - dur[node, cand + 2])
        k = int(cand[ok][np.argmin(score[ok])])
        free[k] = False
        route.append(k)
        max_load = np.maximum(max_load + dlv[k], end_load + dlv[k] + pck[k])
        end_load = end_load + pck[k]
        t, node = int(start[cand == k][0]) + int(service[k]), k + 2


def _two_opt(v: Vehicle, stops: list[Stop], route: list[int], dist: IntMatrix, dur: IntMatrix) -> list[int]:
    """Reverse segments while that shortens the route and keeps it feasible (first improvement)."""

    def path(r: list[int]) -> list[int]:
        return [0, *(k + 2 for k in r), 1]

    improved = True
    while improved:
        improved = False
        for i in range(len(route) - 1):
            for j in range(i + 1, len(route)):
                p = path(route)
                delta = (
                    dist[p[i], p[j + 1]]
                    + dist[p[i + 1], p[j + 2]]
                    - dist[p[i], p[i + 1]]
                    - dist[p[j + 1], p[j + 2]]
                )
                if delta >= 0:
                    continue
                trial = route[:i] + route[i : j + 1][::-1] + route[j + 1 :]
                legs = legs_from_matrix(path(trial), dist, dur)
                if simulate(v, [stops[k] for k in trial], *legs).feasible:
                    route, improved = trial, True
    return route


def nearest_neighbour_2opt(request: PlanRequest, matrix: MatrixProvider) -> Plan:
    stops = [s for s in request.stops if not s.done]
    free = np.ones(len(stops), dtype=bool)
    routes = []
    for v in request.vehicles:
        points = [v.start_point, v.depot, *(s.point for s in stops)]
        dist, dur = matrix.matrix(points, v.profile)
        order = _two_opt(v, stops, _nearest_route(v, stops, free, dist, dur, home=1, here=0), dist, dur)
        ev = simulate(
            v, [stops[k] for k in order], *legs_from_matrix([0, *(k + 2 for k in order), 1], dist, dur)
        )
        routes.append(RoutePlan(v.id, ev.visits, v.start_time, ev.end_time, ev.distance, ev.duration))
    cost = sum(request.distance_cost * r.distance + request.duration_cost * r.duration for r in routes)
    return Plan(tuple(routes), tuple(s.id for s, f in zip(stops, free, strict=True) if f), cost)
