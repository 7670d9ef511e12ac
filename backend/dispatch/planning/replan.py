"""Minimal-perturbation re-plan of one courier.

A courier who has memorised the next stops, and customers who were sent an ETA, pay for every
reshuffle. So the rules are:

1. Stops already done stay fixed: they are history and are not planned again; parcels picked up
   there stay on board (capacity). Planning starts at the courier's current position and time.
2. Removed stops are dropped; new stops are put into the current order by cheapest feasible
   insertion ("repaired current order"). That order is the default answer.
3. A fresh PyVRP solve of the same stops (warm-started from the repaired order) is the challenger.
   It replaces the current order only if the current one is infeasible, if it serves more stops,
   or if it saves at least ``min_relative`` (5 %) of the cost *and* either ``min_duration_s``
   (300 s) of driving time or ``min_distance_m`` (1 km). Smaller gains are noise for a courier.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .insertion import cheapest_insertion, route_state
from .matrix import MatrixProvider
from .model import PlanRequest, Stop, Vehicle
from .schedule import RouteEval, evaluate, onboard_load
from .solver import solve

if TYPE_CHECKING:
    from pyvrp.stop import StoppingCriterion

# The production re-plan's budget (a courier's re-plan, ``services.planning.courier_replan``): an
# iteration budget, so a re-plan is reproducible; ~0.3–1 s for a 150-stop courier day.
REPLAN_ITERATIONS = 1500


@dataclass(frozen=True)
class ReplanThreshold:
    min_relative: float = 0.05
    min_duration_s: int = 300
    min_distance_m: int = 1000


@dataclass(frozen=True)
class ReplanDiff:
    moved: tuple[str, ...]  # fewest stops whose moving turns the old order into the new one
    added: tuple[str, ...]
    removed: tuple[str, ...]
    unassigned: tuple[str, ...]  # new (or old) stops this courier cannot serve any more
    old_eta: dict[str, int]
    new_eta: dict[str, int]


@dataclass(frozen=True)
class ReplanResult:
    done: tuple[str, ...]
    sequence: tuple[str, ...]  # remaining stops in the order to drive them
    route: RouteEval
    reordered: bool  # True when the fresh solve replaced the (repaired) current order
    current_cost: int
    fresh_cost: int
    diff: ReplanDiff


def _cost(e: RouteEval, distance_cost: int, duration_cost: int) -> int:
    return distance_cost * e.distance + duration_cost * e.duration


def moved_stops(old: Sequence[str], new: Sequence[str]) -> tuple[str, ...]:
    """Stops in both orders that are outside a longest common subsequence (O(n log n) via LIS)."""
    new_pos = {s: i for i, s in enumerate(new)}
    common = [s for s in old if s in new_pos]
    positions = [new_pos[s] for s in common]
    tails: list[int] = []  # tails[k]: index (into common) ending the best increasing run of length k+1
    tail_pos: list[int] = []
    parent = [-1] * len(common)
    for i, p in enumerate(positions):
        k = bisect.bisect_left(tail_pos, p)
        parent[i] = tails[k - 1] if k else -1
        tails[k : k + 1] = [i]
        tail_pos[k : k + 1] = [p]
    keep: set[str] = set()
    i = tails[-1] if tails else -1
    while i >= 0:
        keep.add(common[i])
        i = parent[i]
    return tuple(s for s in common if s not in keep)


def _solved(
    vehicle: Vehicle,
    stops: list[Stop],
    matrix: MatrixProvider,
    *,
    initial: list[Stop],
    distance_cost: int,
    duration_cost: int,
    time_limit_s: float | None,
    max_iterations: int | None,
    seed: int,
    criterion: StoppingCriterion | None,
) -> list[Stop]:
    """A fresh PyVRP solve of the courier's stops (the done ones as history), warm-started from
    ``initial``: the stops of its route in order."""
    request = PlanRequest(
        stops=tuple(stops), vehicles=(vehicle,), distance_cost=distance_cost, duration_cost=duration_cost
    )
    plan = solve(
        request,
        matrix,
        time_limit_s=time_limit_s,
        max_iterations=max_iterations,
        seed=seed,
        initial_routes={vehicle.id: [s.id for s in initial]} if initial else None,
        stop=criterion,
    )
    by_id = {s.id: s for s in stops}
    return [by_id[s] for s in plan.route(vehicle.id).stop_ids]


def repair_route(
    vehicle: Vehicle,
    stops: dict[str, Stop],
    matrix: MatrixProvider,
    *,
    new_stops: Iterable[Stop] = (),
    removed_ids: Iterable[str] = (),
    threshold: ReplanThreshold = ReplanThreshold(),
    max_iterations: int | None = 2000,
    time_limit_s: float | None = None,
    seed: int = 0,
    distance_cost: int = 1,
    duration_cost: int = 0,
    criterion: StoppingCriterion | None = None,
) -> ReplanResult:
    """Re-plan ``vehicle`` (live: ``position``/``position_time`` set) after stops were added/removed.

    ``stops`` maps every id in ``vehicle.done_stop_ids`` and ``vehicle.sequence`` to its stop.
    ``criterion`` (a PyVRP stopping criterion, e.g. CPU time in a benchmark) replaces the two limits.
    """
    done = set(vehicle.done_stop_ids)
    removed = set(removed_ids) - done
    onboard = onboard_load(vehicle, stops)
    old_order = [s for s in vehicle.sequence if s not in done]
    repaired = [stops[s] for s in old_order if s not in removed]
    unfitted: list[Stop] = []
    for stop in tuple(new_stops):
        ins = cheapest_insertion(
            stop, [route_state(vehicle, repaired, matrix, onboard)], matrix, distance_cost, duration_cost
        )
        if ins is None:
            unfitted.append(stop)
        else:
            repaired.insert(ins.position, stop)
    current = evaluate(vehicle, repaired, matrix, onboard)

    if not unfitted and len(repaired) <= 1 and current.feasible:
        # One possible order, and it is feasible: the search starts from it and returns the best it
        # saw, so it would answer the same route (a stop is never dropped: its prize outweighs any
        # detour). Skipping it saves the solver's set-up and budget, most of a re-plan of a courier
        # holding one stop (a morning's first assignments, every reassignment of a lone job).
        fresh_stops, fresh = repaired, current
    else:
        fresh_stops = _solved(
            vehicle,
            [replace(stops[s], done=True) for s in vehicle.done_stop_ids] + repaired + unfitted,
            matrix,
            initial=repaired,
            distance_cost=distance_cost,
            duration_cost=duration_cost,
            time_limit_s=time_limit_s,
            max_iterations=max_iterations,
            seed=seed,
            criterion=criterion,
        )
        fresh = evaluate(vehicle, fresh_stops, matrix, onboard)
    cur_cost, new_cost = (
        _cost(current, distance_cost, duration_cost),
        _cost(fresh, distance_cost, duration_cost),
    )

    take_fresh = fresh.feasible and (
        not current.feasible
        or len(fresh_stops) > len(repaired)
        or (
            cur_cost - new_cost >= threshold.min_relative * cur_cost
            and (
                current.duration - fresh.duration >= threshold.min_duration_s
                or current.distance - fresh.distance >= threshold.min_distance_m
            )
        )
    )
    chosen, route = (fresh_stops, fresh) if take_fresh else (repaired, current)
    sequence = tuple(s.id for s in chosen)
    old_eval = evaluate(vehicle, [stops[s] for s in old_order], matrix, onboard)
    added = tuple(s for s in sequence if s not in set(old_order))
    diff = ReplanDiff(
        moved=moved_stops(old_order, sequence),
        added=added,
        removed=tuple(s for s in old_order if s in removed),
        unassigned=tuple(s.id for s in [*repaired, *unfitted] if s.id not in set(sequence)),
        old_eta={v.stop_id: v.arrival for v in old_eval.visits},
        new_eta={v.stop_id: v.arrival for v in route.visits},
    )
    return ReplanResult(
        done=tuple(vehicle.done_stop_ids),
        sequence=sequence,
        route=route,
        reordered=take_fresh,
        current_cost=cur_cost,
        fresh_cost=new_cost,
        diff=diff,
    )
