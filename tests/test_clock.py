"""The clock guard itself (tests/clock.py): presets resolve, and a child process runs at the same clock."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from tests.clock import presets, resolve, station_tz


def test_presets_are_the_hostile_instants() -> None:
    named = presets("Asia/Shanghai")
    assert named["utc-2330"] == datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    assert named["utc-1630"] == datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
    assert named["station-0300"] == datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 03:00 +08:00
    assert presets("America/Los_Angeles")["station-0300"] == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert named["day-after"] == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def test_an_instant_is_iso_8601_and_naive_means_utc() -> None:
    assert resolve("2026-12-31T23:30:00Z", "UTC") == datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert resolve("2026-12-31T23:30", "UTC") == datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert resolve("now", "UTC") is None
    with pytest.raises(pytest.UsageError):
        resolve("teatime", "UTC")


def test_a_child_python_process_reads_the_same_clock_as_the_suite() -> None:
    child = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"], capture_output=True, text=True, check=True
    )
    assert abs(float(child.stdout) - time.time()) < 5
    assert abs(timezone.now().timestamp() - time.time()) < 1


def test_the_session_runs_at_the_chosen_instant(pytestconfig: pytest.Config) -> None:
    instant = resolve(str(pytestconfig.getoption("clock_at") or ""), station_tz(pytestconfig))
    if instant is None:
        pytest.skip("the suite runs at the real time")
    # The clock ticks on from the instant: the session has been running for less than a few hours.
    assert 0 <= (timezone.now() - instant).total_seconds() < 4 * 3600
