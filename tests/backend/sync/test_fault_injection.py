"""Handhelds through random workdays, over a network that loses, repeats, delays, reorders, resets
and stalls, against a real daphne server on PostgreSQL that is SIGKILLed mid-batch and restarted.

Small here (make test); bench/sync_faults.py runs the same simulation at full size.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.sync_sim import SimConfig, run_simulation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(min_value=0, max_value=2**31),
    devices=st.integers(min_value=2, max_value=4),
    fault_rate=st.sampled_from([0.2, 0.3, 0.4]),
)
def test_every_op_lands_once_or_is_refused_visibly_and_every_handheld_converges(
    seed: int, devices: int, fault_rate: float, tmp_path_factory: pytest.TempPathFactory
) -> None:
    log = tmp_path_factory.mktemp("server") / "daphne.log"
    result = run_simulation(
        SimConfig(
            devices=devices,
            ops=120,
            fault_rate=fault_rate,
            kills=1,
            seed=seed,
            plan_each=1,
            jobs_per_courier=10,
            log_path=str(log),
        )
    )
    f = result.figures
    assert f["errors"] == []
    assert (f["lost"], f["duplicated"], f["diverged_devices"], f["unexplained"]) == (0, 0, 0, 0), f
    assert f["events_equal_facts"] is True
    assert f["seq_gaps"] == 0
    assert f["server_kills"] == 1
    assert all(n >= 1 for n in f["faults"].values()), f["faults"]
