"""Solomon reader and the DIMACS cost convention, checked against the shipped best-known solutions."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.dispatch.planning.solomon import SCALE, dimacs_cost, read_solomon, read_solution, read_vrplib
from backend.dispatch.planning.solver import solve

# The benchmark data live in the shared folder beside the repository (as in CI).
# (A worktree one level deeper, /work/wt/NAME, finds the same folder one level up.)
_HERE = Path(__file__).resolve()
DATA = next(
    (
        d
        for d in (p / "shared" / "benchmarks" / "vrptw" for p in (_HERE.parents[4], _HERE.parents[5]))
        if d.is_dir()
    ),
    _HERE.parents[4] / "shared" / "benchmarks" / "vrptw",
)
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"benchmark data not found at {DATA}")


def test_c101_is_read_with_its_depot_fleet_windows_and_service_times() -> None:
    inst = read_solomon(DATA / "C101.txt")
    assert inst.name == "C101"
    assert (inst.depot.x, inst.depot.y) == (40, 50)
    assert len(inst.request.stops) == 100
    assert len(inst.request.vehicles) == 25
    assert {v.capacity_weight_g for v in inst.request.vehicles} == {200}
    assert inst.request.vehicles[0].shift_end == 1236 * SCALE
    first = inst.request.stops[0]
    assert (first.id, first.x, first.y, first.weight_g) == ("1", 45, 68, 10)
    assert (first.tw_start, first.tw_end, first.service_s) == (912 * SCALE, 967 * SCALE, 90 * SCALE)


@pytest.mark.parametrize(("name", "best"), [("C101", 827.3), ("R101", 1637.7), ("RC101", 1619.8)])
def test_best_known_routes_cost_exactly_the_stated_value_under_dimacs(name: str, best: float) -> None:
    inst = read_solomon(DATA / f"{name}.txt")
    routes, stated = read_solution(DATA / f"{name}.sol")
    assert stated == best
    assert dimacs_cost(inst, routes) == best
    assert sorted(s for r in routes for s in r) == sorted(s.id for s in inst.request.stops)


def test_a_short_solve_of_c101_is_within_two_percent_of_best_known() -> None:
    inst = read_solomon(DATA / "C101.txt")
    plan = solve(inst.request, inst.matrix, max_iterations=2000, seed=0)
    routes = [r.stop_ids for r in plan.routes if r.visits]
    assert plan.feasible and plan.unassigned == ()
    cost = dimacs_cost(inst, routes)
    assert cost * SCALE == plan.cost  # the solver's integer objective is the DIMACS cost × 10
    assert cost <= 827.3 * 1.02


def test_the_vrplib_files_read_as_the_solomon_text_files_and_every_bks_costs_its_stated_value() -> None:
    for name in ("C101", "R101", "RC101"):
        assert (
            read_vrplib(DATA / "solomon" / f"{name}.vrp").request
            == read_solomon(DATA / f"{name}.txt").request
        )
    for path in sorted((DATA / "solomon").glob("*.vrp"))[::7] + sorted((DATA / "gh1000").glob("*.vrp"))[:1]:
        inst = read_vrplib(path)
        routes, stated = read_solution(path.with_suffix(".sol"))
        assert dimacs_cost(inst, routes) == stated, path.name


@pytest.mark.parametrize("how", ["solve", "stock", "sector"])
def test_the_solomon_bench_runs_every_path_on_two_instances_within_a_cpu_budget(how: str) -> None:
    # The bench's own unit of work (bench/dispatch.py solomon), small: a CPU budget of 0.2 s.
    from bench.dispatch_quality import run_one

    for name in ("C101", "R201"):
        r = run_one((str(DATA / "solomon" / f"{name}.vrp"), how, 0.2, 0, 2, "cpu"))
        assert r["feasible"], r
        assert 0 <= r["gap_pct"] < 15, r


def test_our_search_settings_differ_from_pyvrps_only_where_documented() -> None:
    from backend.dispatch.planning.solver import HISTORY_LENGTH, NUM_NEIGHBOURS, search_params, stock_params

    ours, stock = search_params(2), stock_params()
    assert (ours.neighbourhood.num_neighbours, ours.ils.history_length) == (NUM_NEIGHBOURS, HISTORY_LENGTH)
    assert (stock.neighbourhood.num_neighbours, stock.ils.history_length) == (50, 300)  # PyVRP 0.14's
    assert ours.penalty == stock.penalty
    assert ours.ils.num_iters_no_improvement == stock.ils.num_iters_no_improvement
    one_route = search_params(1)  # a courier's re-plan keeps PyVRP's own
    assert (one_route.neighbourhood.num_neighbours, one_route.ils.history_length) == (50, 300)
