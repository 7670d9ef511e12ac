"""bench/station_days.py: deterministic days of several layouts; a small one planned both ways passes the checker."""

from __future__ import annotations

from backend.dispatch.planning.partition import solve_partitioned
from backend.dispatch.planning.solver import solve
from bench.route_checker import check_routes
from bench.station_days import MATRIX, station_day


def test_days_are_deterministic_and_layouts_differ() -> None:
    assert station_day("d4-clustered", 3, 10) == station_day("d4-clustered", 3, 10)
    assert station_day("d4-clustered", 3, 10).stops != station_day("d6-corridor", 3, 10).stops


def test_a_small_day_planned_by_plain_pyvrp_and_by_territories_passes_the_independent_checker() -> None:
    request = station_day("d2-clustered", couriers=4, per_courier=15)
    for plan in (
        solve(request, MATRIX, max_iterations=300, seed=0),
        solve_partitioned(request, MATRIX, n_groups=2, max_iterations=300, seed=0),
    ):
        rep = check_routes(request, {r.vehicle_id: r.stop_ids for r in plan.routes}, MATRIX)
        assert rep.ok, rep.violations[:5]
        assert rep.distance == plan.cost  # the plan's stated cost is what its routes measure


def test_evaluate_runs_as_a_plain_script_and_names_a_missing_reference() -> None:
    """The bench is run without Django set up: ``evaluate`` once crashed on its first import (the
    shipped budget came from a services module) before planning anything."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "bench/station_days.py", "evaluate", "--days", "no-such-day", "--default-budget"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1, out.stderr[-2000:]
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines and all(line["day"] == "no-such-day" and not line["ok"] for line in lines)
    assert "run 'reference' first" in lines[0]["error"]
