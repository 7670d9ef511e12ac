"""Handhelds through random workdays, over a network that loses, repeats, delays, reorders, resets
and stalls, against a real daphne server on PostgreSQL that is SIGKILLed mid-batch, after an op-id
claim and after a commit, while handheld processes are killed mid-record; the fault checker
(bench/fault_check.py) replays the simulation's own log through its reference model.

Small here (make test): hypothesis draws the seeds. bench/sync_faults.py runs the same simulation
at full size, with ≥ 20 seeds and PostgreSQL restarts on a cluster of its own.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bench.sync_sim import SimConfig, run_simulation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


# Seeds are drawn, not fixed; a failure prints its seed (shrinking a whole workday is pointless).
@settings(
    max_examples=2,
    deadline=None,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(seed=st.integers(min_value=0, max_value=2**31), devices=st.just(2))
def test_the_reference_model_accounts_for_every_action_under_faults_and_kills(
    seed: int, devices: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    log = tmp_path_factory.mktemp("server") / "daphne.log"
    result = run_simulation(
        SimConfig(
            devices=devices,
            ops=40,
            fault_rate=0.3,
            kills=0,
            precise_kills=2,
            handheld_kills=2,
            bad_inputs=1,
            seed=seed,
            plan_each=1,
            jobs_per_courier=6,
            reassign_every_s=0.8,
            log_path=str(log),
        )
    )
    f = result.figures
    assert f["errors"] == []
    assert (f["lost"], f["duplicated"], f["diverged"], f["unexplained"]) == (0, 0, 0, 0), f
    assert f["diverged_devices"] == 0, f
    assert f["server_kills"] == 2, f
    assert f["server_kills_at"] == {"kill_after_claim": 1, "kill_after_commit": 1}, f
    assert f["handheld_kills"] == 2 and f["bad_inputs"] == 1, f
