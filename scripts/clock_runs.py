"""Run the suite at the clock guard's hostile instants side by side (``make test``).

    python scripts/clock_runs.py utc-2330@Asia/Shanghai station-0300@America/Los_Angeles -- <pytest args>

Each run is a whole pytest session at ``PARCELRUN_TEST_CLOCK_AT`` with its stations in
``PARCELRUN_TEST_STATION_TZ`` (tests/clock.py). The runs go at once, because most of a run is spent
waiting on servers, sockets and timeouts, not computing: two runs side by side take about 1.3 times
one. So that they cannot see each other, each run gets its own PostgreSQL database (the name from
``DATABASE_URL`` plus ``_clock<n>``, so pytest-django makes ``test_<name>_clock<n>``) and its own
Redis database (``REDIS_URL``'s number plus n), which keeps the Celery queues and cache counters
apart, and the channel groups too (pub/sub ignores the number, so the channels prefix carries it).
Ports are always picked free by the tests. Each run's output is kept in a file and printed whole
when it ends; the exit status is the first failing run's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def _database_url(url: str, n: int) -> str:
    if not url:
        return url  # SQLite: each run's test database is in memory
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path.rstrip('/') or '/parcelrun'}_clock{n}"))


def _redis_url(url: str, n: int) -> str:
    if not url:
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + n}"))


def main(argv: list[str]) -> int:
    if "--" in argv:
        cut = argv.index("--")
        runs, pytest_args = argv[:cut], argv[cut + 1 :]
    else:
        runs, pytest_args = argv, []
    if not runs:
        return 0
    logs = Path(tempfile.mkdtemp(prefix="parcelrun-clock-runs-"))
    started = []
    for n, run in enumerate(runs, start=1):
        at, _, tz = run.partition("@")
        env = dict(os.environ)
        env.update(PARCELRUN_TEST_CLOCK_AT=at, PARCELRUN_TEST_STATION_TZ=tz or "Asia/Shanghai")
        env["DATABASE_URL"] = _database_url(env.get("DATABASE_URL", ""), n)
        env["REDIS_URL"] = _redis_url(env.get("REDIS_URL", ""), n)
        log = logs / f"run{n}.log"
        handle = log.open("wb")
        cmd = [sys.executable, "-m", "pytest", *pytest_args]
        print(f"make test: the suite at {at}, stations in {env['PARCELRUN_TEST_STATION_TZ']} (log {log})")
        started.append(
            (run, log, handle, subprocess.Popen(cmd, env=env, stdout=handle, stderr=subprocess.STDOUT))
        )
    sys.stdout.flush()
    status = 0
    t0 = time.monotonic()
    for run, log, handle, proc in started:
        code = proc.wait()
        handle.close()
        print(f"\n===== the suite at {run}: exit {code} after {time.monotonic() - t0:.0f} s =====")
        sys.stdout.write(log.read_text(errors="replace"))
        sys.stdout.flush()
        if code and not status:
            status = code
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
