"""PyVRP's iterated local search, started with penalties on the instance's own scale.

``pyvrp.solve`` starts every penalty (per second of lateness, per gram or cm³ of overload) at the
midpoint of its bounds, 50,000, and lets the penalty manager walk it ×0.9 per 500 solutions. On a
territory of 2,250 stops that walk takes far longer than a 60 s budget, so the whole search runs
with lateness priced as if it cost 50 km a second: the local search never crosses an infeasible
region, and the search mostly stalls at its first local optimum (on the station day the best cost
did not move between second 6 and 60). Here the penalties start at the distance the slowest
vehicle drives in a second, the price of one second of lateness in metres, and the manager adapts
them from there within the same bounds. The start is built by a full local search from a random
solution under those penalties too, not under the maximal ones, which leaves a far worse start.

Only the large-day path uses this (:mod:`.partition`); :func:`.solver.solve` keeps PyVRP's
defaults, which are measured on the Solomon instances and on single couriers.
"""

from __future__ import annotations

import time

import numpy as np
import pyvrp
from pyvrp.IteratedLocalSearch import IteratedLocalSearch, IteratedLocalSearchParams
from pyvrp.PenaltyManager import PenaltyManager, PenaltyParams
from pyvrp.search import OPERATORS, LocalSearch, NeighbourhoodParams, PerturbationManager, compute_neighbours
from pyvrp.stop import StoppingCriterion


class Deadline:
    """Stop at an absolute ``time.monotonic()`` instant, so every worker of one plan ends together."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self, best_cost: float) -> bool:
        return time.monotonic() >= self.at


def unit_penalty(data: pyvrp.ProblemData) -> float:
    """Metres per second of the slowest profile: what one second of lateness is worth in distance."""
    speeds = []
    for p in range(data.num_profiles):
        dur = float(np.asarray(data.duration_matrix(p)).sum())
        speeds.append(float(np.asarray(data.distance_matrix(p)).sum()) / max(dur, 1.0))
    return max(min(speeds), PenaltyParams().min_penalty)


Penalties = tuple[list[float], float, float]  # per unit of each load dimension, time warp, distance


def iterated_local_search(
    data: pyvrp.ProblemData,
    stop: StoppingCriterion,
    *,
    seed: int = 0,
    initial_solution: pyvrp.Solution | None = None,
    penalties: Penalties | None = None,
) -> tuple[pyvrp.Solution, Penalties]:
    """``pyvrp.solve`` with scaled starting penalties (see the module docstring), or ``penalties``
    learnt by an earlier search of the same units. Returns the best solution after one last full
    local search pass (the search itself only looks around the stops each perturbation touched,
    and a full pass still found 0.5 % after 20 s on a 2,250-stop territory) and the penalties the
    search ended with."""
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    ls = LocalSearch(data, rng, compute_neighbours(data, NeighbourhoodParams()), PerturbationManager())
    for op in OPERATORS:
        if op.supports(data):
            ls.add_operator(op(data))
    if penalties is None:
        unit = unit_penalty(data)
        penalties = ([unit] * data.num_load_dimensions, unit, unit)
    pm = PenaltyManager(penalties, PenaltyParams())
    init = initial_solution
    if init is None:
        init = ls(pyvrp.Solution.make_random(data, rng), pm.cost_evaluator(), exhaustive=True)
    # Exhaustive search on every new best costs a full pass over thousands of stops each time,
    # and at this size nearly every iteration early on is a new best.
    params = IteratedLocalSearchParams(exhaustive_on_best=False)
    best = IteratedLocalSearch(data, pm, ls, init, params).run(stop, collect_stats=False).best
    if not best.is_feasible():
        # The budget ran out before any feasible solution (a short budget from an infeasible start):
        # at the maximal penalties a second late outweighs a stop's prize, so the local search drops
        # optional stops until nothing is late, and the caller gets them back as unassigned.
        return ls(best, pm.max_cost_evaluator(), exhaustive=True), pm.penalties()
    cost = pm.cost_evaluator()
    polished = ls(best, cost, exhaustive=True)
    if polished.is_feasible() and cost.cost(polished) < cost.cost(best):
        best = polished
    return best, pm.penalties()
