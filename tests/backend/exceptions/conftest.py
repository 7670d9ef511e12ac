from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.clock import station_tz

# 10:00 at the station on the fixtures' service date; the sources are then asked at chosen
# instants after it (they take ``now``: nothing here reads the clock).
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo(station_tz()))


@pytest.fixture(autouse=True)
def _station_morning() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield
