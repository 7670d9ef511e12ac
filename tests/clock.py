"""The suite's clock guard: run the whole pytest process (and every Python process it starts) at a
chosen instant, and the stations the fixtures make in a chosen time zone.

    pytest --clock-at=utc-2330 tests            # or PARCELRUN_TEST_CLOCK_AT=utc-2330
    pytest --clock-at=2026-12-31T23:30:00Z tests
    pytest --station-tz=America/Los_Angeles tests   # or PARCELRUN_TEST_STATION_TZ=...

The clock keeps ticking from that instant (time_machine, tick=True), so timeouts and debounce windows
behave as at the real time. Tests that need a particular instant freeze it themselves
(``time_machine.travel(...)``); this guard proves that no other test depends on the date, the time of
day or the station's date versus the UTC date. Child processes follow through
``tests/clock_shim/sitecustomize.py``, which reads the offset exported here: production code never
reads these variables.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

CLOCK_ENV = "PARCELRUN_TEST_CLOCK_AT"
STATION_TZ_ENV = "PARCELRUN_TEST_STATION_TZ"
#: Read by tests/clock_shim/sitecustomize.py in child processes: shift from the real clock, in ns.
OFFSET_ENV = "PARCELRUN_TEST_CLOCK_OFFSET_NS"
SHIM_DIR = Path(__file__).resolve().parent / "clock_shim"

DEFAULT_STATION_TZ = "Asia/Shanghai"
#: The date the fixtures are written for (tests/fixtures/jobs.py, tests/backend/dispatch/factories.py).
FIXTURE_DAY = date(2026, 11, 24)


def _station_time(day: date, hour: int, minute: int, tz: str) -> datetime:
    return datetime.combine(day, dtime(hour, minute), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def presets(station_tz: str) -> dict[str, datetime]:
    """The hostile instants, by name. Station-time presets follow ``station_tz``."""
    return {
        # The UTC date is the fixture day, the Shanghai date is already the next day (07:30).
        "utc-2330": datetime.combine(FIXTURE_DAY, dtime(23, 30), tzinfo=UTC),
        # Just after midnight in Shanghai (00:30): the station's day has only begun.
        "utc-1630": datetime.combine(FIXTURE_DAY, dtime(16, 30), tzinfo=UTC),
        # 03:00 at the station on the fixture day: before every shift starts.
        "station-0300": _station_time(FIXTURE_DAY, 3, 0, station_tz),
        # Late evening at the station: a shift ending at midnight has half an hour left.
        "station-2330": _station_time(FIXTURE_DAY, 23, 30, station_tz),
        # Mid-morning at the station the day after the fixture dates.
        "day-after": _station_time(FIXTURE_DAY + timedelta(days=1), 10, 0, station_tz),
        # The year turns in UTC while the station is already in the new year.
        "year-end": datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    }


def resolve(value: str, station_tz: str) -> datetime | None:
    """A preset name or an ISO-8601 instant (naive means UTC); "" or "now" means the real clock."""
    value = value.strip()
    if value in ("", "now", "real"):
        return None
    named = presets(station_tz)
    if value in named:
        return named[value]
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise pytest.UsageError(
            f"--clock-at={value!r}: not an ISO-8601 instant nor one of {', '.join(named)}"
        ) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def station_tz(config: pytest.Config | None = None) -> str:
    """The time zone the fixtures give new stations (``--station-tz``; Asia/Shanghai by default)."""
    if config is not None:
        value = config.getoption("station_tz", None)
        if value:
            return str(value)
    return os.environ.get(STATION_TZ_ENV) or DEFAULT_STATION_TZ


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("parcelrun clock")
    group.addoption(
        "--clock-at",
        dest="clock_at",
        default=os.environ.get(CLOCK_ENV, ""),
        help=f"run the session from this instant (ISO-8601 or a preset: {', '.join(presets('UTC'))}); "
        f"env {CLOCK_ENV}",
    )
    group.addoption(
        "--station-tz",
        dest="station_tz",
        default=os.environ.get(STATION_TZ_ENV, ""),
        help=f"IANA time zone of the stations the fixtures make (default {DEFAULT_STATION_TZ}); "
        f"env {STATION_TZ_ENV}",
    )


_traveller: time_machine.travel | None = None
_saved_env: dict[str, str | None] = {}


def pytest_configure(config: pytest.Config) -> None:
    global _traveller
    tz = station_tz(config)
    try:
        ZoneInfo(tz)
    except Exception:
        raise pytest.UsageError(f"--station-tz={tz!r} is not an IANA time zone") from None
    # Child processes (manage.py, daphne, celery, handhelds) make their stations in the same zone.
    _export(STATION_TZ_ENV, tz)
    instant = resolve(str(config.getoption("clock_at") or ""), tz)
    if instant is None:
        return
    offset_ns = int(instant.timestamp() * 1e9) - time.time_ns()
    _export(OFFSET_ENV, str(offset_ns))
    _export("PYTHONPATH", os.pathsep.join(p for p in (str(SHIM_DIR), os.environ.get("PYTHONPATH")) if p))
    _traveller = time_machine.travel(instant, tick=True)
    _traveller.start()
    config.stash[_instant_key] = instant


_instant_key = pytest.StashKey[datetime]()


def _export(name: str, value: str) -> None:
    _saved_env.setdefault(name, os.environ.get(name))
    os.environ[name] = value


def pytest_unconfigure(config: pytest.Config) -> None:
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None
    for name, value in _saved_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _saved_env.clear()


def pytest_report_header(config: pytest.Config) -> list[str]:
    tz = station_tz(config)
    instant = config.stash.get(_instant_key, None)
    if instant is None:
        return [f"clock: real time; stations in {tz}"]
    local = instant.astimezone(ZoneInfo(tz))
    return [f"clock: shifted to {instant.isoformat()} (station {local:%Y-%m-%d %H:%M} {tz}), ticking"]


def _real_time_ns() -> int:
    travelling = time_machine.escape_hatch.is_travelling()
    return time_machine.escape_hatch.time.time_ns() if travelling else time.time_ns()


@contextmanager
def everyone_at(instant: datetime) -> Iterator[dict[str, str]]:
    """This process, and every child started with the environment this yields, read ``instant``
    now and tick on from it together: for a test whose worker or server decides on "now" itself
    (a re-plan starts the route at "now"; near the shift's end it is another route)."""
    offset_ns = int(instant.timestamp() * 1e9) - _real_time_ns()
    shim = os.pathsep.join(p for p in (str(SHIM_DIR), os.environ.get("PYTHONPATH")) if p)
    with time_machine.travel(instant, tick=True):
        yield {OFFSET_ENV: str(offset_ns), "PYTHONPATH": shim}
