"""Reassign 200 jobs, the server's part, in process: ``reassign_jobs`` on the console bench's station.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/parcelrun_x REDIS_URL=redis://127.0.0.1:6379/9 \
        .venv/bin/python bench/dispatch_reassign.py [--moves 4] [--size 200] [--queue 800] [--reuse] [--profile FILE] [--statements]

The database ``<name>_reassignbench`` is dropped, created, migrated and seeded by
``bench/console_world.py`` (50 couriers on duty at 11:00 local time, 180 open jobs each in planned
order, 800 unassigned and 200 held parcels): the station ``bench/console.py``'s reassign step
drags onto. ``--reuse`` skips the seeding (the world is found again in the database; each move
takes jobs still in the queue). Then ``--moves`` times, as the console's drop does: the
``--size`` lowest-id unassigned jobs, with the versions the board loaded, go to courier ``r``
through ``reassign_jobs`` with a reason and the supervisor's context (REDIS_URL given: the
re-plans and the after-commit publishing go to Redis, as in production).

Each move prints its wall seconds, the CPU seconds of this process (PostgreSQL's are not counted),
the statements it sent, and the jobs placed at risk; ``--profile FILE`` writes a cProfile of all
the moves. The service's goal on this station (issue 15): ≤ ~0.35 s a move, so that the whole
user path (click → 200 cards shown) stays within its p95 ≤ 1 s.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.report import emit, recreate_database  # noqa: E402


def bench_url(url: str) -> str:
    parsed = urlparse(url)
    return parsed._replace(path=f"/{(parsed.path.strip('/') or 'parcelrun')}_reassignbench").geturl()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--moves", type=int, default=4)
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--reuse", action="store_true", help="the last run's seeded database")
    ap.add_argument("--profile", default="", help="write a cProfile of the moves here")
    ap.add_argument("--queue", type=int, default=800, help="unassigned jobs seeded (the console bench's 800)")
    ap.add_argument("--statements", action="store_true", help="print each move's five slowest statements")
    args = ap.parse_args()
    url = bench_url(os.environ["DATABASE_URL"])
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="backend.settings", LOG_LEVEL="WARNING")
    t0 = time.monotonic()
    if not args.reuse:
        recreate_database(url)
        env = {**os.environ, "REDIS_URL": ""}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backend.accounts.roles import principal_of
    from backend.couriers.models import Courier
    from backend.dispatch.services import JobVersion, reassign_jobs
    from backend.shipments.context import Ctx
    from backend.shipments.models import Job
    from backend.shipments.states import JobStatus, ShipmentStatus

    if not args.reuse:
        from bench.console_world import seed

        seed(unassigned=args.queue)
    emit(bench="reassign_200", phase="seeded", seconds=round(time.monotonic() - t0, 1), reused=args.reuse)
    from django.contrib.auth.models import User

    boss = User.objects.select_related("supervisor").get(username="boss")
    ctx = Ctx(actor=principal_of(boss), device_id="console")
    couriers = list(Courier.objects.order_by("employee_no").values_list("pk", flat=True))
    profiler = cProfile.Profile() if args.profile else None
    results = []
    for r in range(args.moves):
        queue = (
            Job.objects.filter(status=JobStatus.PENDING, courier__isnull=True)
            .exclude(shipment__status=ShipmentStatus.HELD)
            .order_by("pk")
            .values_list("pk", "version")[: args.size]
        )
        seen = [JobVersion(pk, version) for pk, version in queue]
        if len(seen) < args.size:
            raise SystemExit(f"only {len(seen)} jobs left in the queue: seed afresh (drop --reuse)")
        to = couriers[r % len(couriers)]
        load1 = os.getloadavg()[0]
        w0, c0 = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            if profiler:
                profiler.enable()
            moved, at_risk = reassign_jobs(
                jobs=seen, to_courier_id=to, reason="bench: van broke down", ctx=ctx
            )
            if profiler:
                profiler.disable()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        assert len(moved) == args.size and all(j.courier_id == to for j in moved)
        results.append(wall)
        emit(
            bench="reassign_200",
            move=r,
            jobs=len(moved),
            route_after=Job.objects.filter(
                courier_id=to, status__in=["assigned", "accepted", "started"]
            ).count(),
            wall_s=round(wall, 3),
            cpu_s=round(cpu, 3),
            statements=len(queries),
            at_risk=len(at_risk),
            loadavg=round(load1, 2),
        )
        if args.statements:
            for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:5]:
                emit(bench="reassign_200", move=r, statement_s=float(q["time"]), sql=q["sql"][:160])
    if profiler:
        profiler.dump_stats(args.profile)
    emit(
        bench="reassign_200",
        phase="done",
        moves=len(results),
        best_s=round(min(results), 3),
        median_s=round(sorted(results)[len(results) // 2], 3),
        goal_s=0.35,
        loadavg=[round(x, 2) for x in os.getloadavg()],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
