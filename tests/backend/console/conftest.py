from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

# 10:00 in Hangzhou on the fixtures' service date: the board shows the station's local day.
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _station_morning() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield
