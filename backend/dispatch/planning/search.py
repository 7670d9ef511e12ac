"""An iterated local search over PyVRP's operators, with penalties on the instance's own scale and
an acceptance that tightens towards the end of the budget.

``pyvrp.solve`` starts every penalty (per second of lateness, per gram or cm³ of overload) at the
midpoint of its bounds, 50,000, and lets the penalty manager walk it ×0.9 per 500 solutions. On a
territory of 2,250 stops that walk takes far longer than a 60 s budget, so the whole search runs
with lateness priced as if it cost 50 km a second: the local search never crosses an infeasible
region, and the search mostly stalls at its first local optimum (on the station day the best cost
did not move between second 6 and 60). Here the penalties start at the distance the slowest
vehicle drives in a second, the price of one second of lateness in metres, and the manager adapts
them from there within the same bounds. The start is built by a full local search from a random
solution under those penalties too, not under the maximal ones, which leaves a far worse start.

The loop is PyVRP's (perturb and repair the stops around the perturbation, ``LocalSearch``;
``PenaltyManager``), but a candidate is accepted when it costs less than the best solution found so
far plus a band that shrinks linearly from ``BAND`` of the start's cost to zero at the end of the
budget (record-to-record travel with a shrinking band), instead of PyVRP's late acceptance, whose
tolerance does not know the budget. A short budget thus ends in a descent rather than mid-walk,
and the walk never strays further than the band from the record (docs/dispatch.md, "Large days").
Budgets are :class:`Deadline` or :class:`Iterations` (one object per search), which report how
much of them is spent.

Only the large-day path uses this (:mod:`.partition`); :func:`.solver.solve` keeps PyVRP's
defaults, which are measured on the Solomon instances and on single couriers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import numpy as np
import pyvrp
from pyvrp.PenaltyManager import PenaltyManager, PenaltyParams
from pyvrp.search import OPERATORS, LocalSearch, NeighbourhoodParams, PerturbationManager, compute_neighbours

BAND = 0.001  # of the start's penalised cost: how far above the record a walk may go at first


class Budget(Protocol):
    def spent(self) -> float:
        """Share of the budget used so far, 0 to 1."""

    def __call__(self) -> bool:
        """True once the budget is used up."""


class Deadline:
    """Stop at an absolute ``time.monotonic()`` instant, so every worker of one plan ends together.
    The share spent counts from the first look at it, i.e. from the start of the search using it."""

    def __init__(self, at: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.at = at
        self._clock = clock  # injected by tests; the default pickles by name into the solver's workers
        self._from: float | None = None

    def spent(self) -> float:
        now = self._clock()
        if self._from is None:
            self._from = now
        span = self.at - self._from
        return 1.0 if span <= 0 else min(1.0, (now - self._from) / span)

    def __call__(self) -> bool:
        return self._clock() >= self.at


class Iterations:
    """A fixed number of iterations: reproducible for a seed. Counts its calls, so one per search."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.done = 0

    def spent(self) -> float:
        return min(1.0, self.done / self.n) if self.n > 0 else 1.0

    def __call__(self) -> bool:
        self.done += 1
        return self.done > self.n


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
    budget: Budget,
    *,
    seed: int = 0,
    initial_solution: pyvrp.Solution | None = None,
    penalties: Penalties | None = None,
    patience: int | None = None,
    band: float = BAND,
) -> tuple[pyvrp.Solution, Penalties]:
    """Search until ``budget`` is spent, or ``patience`` iterations in a row find no better solution,
    starting from ``initial_solution`` (else a random one after a full local search) with scaled
    penalties (see the module docstring) or ``penalties`` learnt by an earlier search of the same
    units. Returns the best solution after one last full local search pass (the search itself only
    looks around the stops each perturbation touched, and a full pass still found 0.5 % after 20 s
    on a 2,250-stop territory) and the penalties the search ended with."""
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    ls = LocalSearch(data, rng, compute_neighbours(data, NeighbourhoodParams()), PerturbationManager())
    for op in OPERATORS:
        if op.supports(data):
            ls.add_operator(op(data))
    if penalties is None:
        unit = unit_penalty(data)
        penalties = ([unit] * data.num_load_dimensions, unit, unit)
    pm = PenaltyManager(penalties, PenaltyParams())
    curr = initial_solution
    if curr is None:
        curr = ls(pyvrp.Solution.make_random(data, rng), pm.cost_evaluator(), exhaustive=True)
    best = _record_to_record(pm, ls, curr, budget, patience, band)
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


def _record_to_record(
    pm: PenaltyManager,
    ls: LocalSearch,
    curr: pyvrp.Solution,
    budget: Budget,
    patience: int | None,
    band: float,
) -> pyvrp.Solution:
    best = curr
    cost = pm.cost_evaluator()
    start_band = band * cost.penalised_cost(curr)
    idle = 0
    budget.spent()  # a deadline's share counts from here
    while not budget() and (patience is None or idle < patience):
        cost = pm.cost_evaluator()
        # No full local search on each new best (PyVRP's default): at 2,250 stops nearly every
        # iteration early on is one, and a full pass costs 0.1–0.2 s.
        cand = ls(curr, cost, exhaustive=False)
        pm.register(cand)
        idle += 1
        if cost.cost(cand) < cost.cost(best):  # cost() is infinite for infeasible solutions
            best, idle = cand, 0
        # The record is the best feasible solution (the start while there is none). Measured from
        # the current solution instead (threshold accepting) a walk can drift a band per step.
        if accepts(cost.penalised_cost(cand), cost.penalised_cost(best), start_band, budget.spent()):
            curr = cand
    return best


def accepts(candidate: float, record: float, start_band: float, spent: float) -> bool:
    """Record-to-record travel: up to ``start_band`` above the record at the start of the budget,
    nothing above it at its end (the band shrinks linearly with the share ``spent``)."""
    return candidate < record + start_band * (1.0 - spent)
