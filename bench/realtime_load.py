"""Seeding and the steady committer for bench/realtime.py (run in their own processes).

    python bench/realtime_load.py seed PLAN.json --clients N     # people, jobs, tokens, links
    python bench/realtime_load.py commit PLAN.json --rate R --seconds S

Both need DATABASE_URL (the bench database); ``commit`` also REDIS_URL. Every change goes through
``job_assign`` (a reassignment within the station), the same service the REST API and the
supervisor's socket command call.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
os.environ.setdefault("FAST_PASSWORD_HASHER", "True")

import django

django.setup()

from asgiref.sync import sync_to_async  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402

from backend.accounts.roles import principal_of  # noqa: E402
from backend.accounts.services import token_issue  # noqa: E402
from backend.couriers.models import Courier, DutyStatus, Station, Supervisor  # noqa: E402
from backend.realtime.links import link_issue  # noqa: E402
from backend.shipments.context import Ctx  # noqa: E402
from backend.shipments.services import ShipmentInput, job_assign, scan, shipment_create  # noqa: E402

PER_STATION = 50  # sockets per station: 35 couriers, 5 supervisor consoles, 10 customers
JOBS_PER_STATION = 20


def working_hours_zone(now: datetime) -> str:
    """A whole-hour zone where it is now 09:00–10:59: the couriers (shift 08:00–20:00) are mid-shift
    whatever the hour the bench runs at. In Asia/Shanghai at 20:00 every shift was ending, and each
    debounced re-plan in the worker became a search over a stop its courier could no longer reach:
    the load depended on the wall clock."""
    offset = (10 - now.hour + 12) % 24 - 12  # hours east of UTC, -12 … 11
    return "UTC" if offset == 0 else f"Etc/GMT{-offset:+d}"  # Etc/GMT-8 is UTC+8


def seed(plan_path: Path, clients: int) -> None:
    stations = max(1, clients // PER_STATION)
    zone = working_hours_zone(datetime.now(UTC))
    password = make_password("bench")
    plan: dict[str, list] = {"clients": [], "stations": []}  # type: ignore[type-arg]
    for s in range(stations):
        station = Station.objects.create(
            code=f"B{s:03d}", name=f"bench {s}", address="杭州", lat=30.27, lng=120.15, time_zone=zone
        )
        boss_user = User.objects.create(username=f"boss{s}", password=password)
        Supervisor.objects.create(user=boss_user, station=station, name=f"boss {s}")
        boss = principal_of(User.objects.select_related("courier", "supervisor").get(pk=boss_user.pk))
        _, boss_key = token_issue(boss_user, f"console-{s}")
        ctx = Ctx(actor=boss, device_id=f"console-{s}")
        couriers = []
        for c in range(35):
            user = User.objects.create(username=f"c{s}-{c}", password=password)
            courier = Courier.objects.create(
                user=user,
                station=station,
                employee_no=f"B{s:03d}{c:03d}",
                name=f"courier {c}",
                phone="+8613800138000",
                duty_status=DutyStatus.ON_DUTY,
            )
            _, key = token_issue(user, f"phone-{s}-{c}")
            couriers.append(courier.pk)
            plan["clients"].append(
                {"path": "/ws/courier/", "token": key, "audience": ["courier", courier.pk]}
            )
        for _ in range(5):
            plan["clients"].append(
                {
                    "path": f"/ws/station/{station.code}/",
                    "token": boss_key,
                    "audience": ["station", station.pk],
                }
            )
        jobs = []
        for j in range(JOBS_PER_STATION):
            data = ShipmentInput.from_dict(
                {
                    "kind": "delivery",
                    "sender_name": "张三",
                    "sender_phone": "13812345678",
                    "sender_address": f"杭州市西湖区文三路{j}号",
                    "recipient_name": "李四",
                    "recipient_phone": "13912345678",
                    "recipient_address": f"杭州市西湖区教工路{j}号",
                    "recipient_lat": 30.29,
                    "recipient_lng": 120.14,
                }
            )
            job = shipment_create(station_id=station.pk, data=data, ctx=ctx)
            scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=ctx)
            job_assign(job_id=job.pk, courier_id=couriers[j % len(couriers)], ctx=ctx)
            jobs.append([job.pk, j % len(couriers)])
            if j < PER_STATION - 40:
                plan["clients"].append(
                    {
                        "path": f"/ws/shipment/{job.shipment.tracking_no}/",
                        "token": link_issue(shipment_id=job.shipment_id),
                        "audience": ["shipment", job.shipment_id],
                    }
                )
        plan["stations"].append({"boss_user": boss_user.pk, "couriers": couriers, "jobs": jobs})
    plan["clients"] = plan["clients"][:clients]
    plan_path.write_text(json.dumps(plan))


async def commit(plan_path: Path, rate: float, seconds: float, part: int, parts: int, inflight: int) -> None:
    """Reassign jobs round-robin at a steady rate, up to ``inflight`` changes at once (as a server
    serves concurrent requests: one change waiting on PostgreSQL or the broker must not hold back
    the next one's start). Each runs in its own thread with its own connection; their on-commit
    publish hops back to this loop and reuses one channel-layer connection (a bare async_to_sync in
    a sync process would open a new Redis connection per publish)."""
    plan = json.loads(plan_path.read_text())
    # One thread per change in flight, and nothing else touching the database: a thread keeps its
    # pooled connection, so more threads than the pool has connections (the loop's default
    # executor has six, the pool four) left two threads waiting 10 s for a connection and
    # failing ("couldn't get a connection"), a third of the bench's in-flight capacity idle.
    executor = ThreadPoolExecutor(max_workers=max(1, inflight), thread_name_prefix="commit")
    work = []
    for st in plan["stations"][part::parts]:  # committers share the stations, never a job
        # The principal reads the user's roles (courier, supervisor, station manager): in a thread.
        principal = await sync_to_async(
            lambda pk: principal_of(User.objects.get(pk=pk)), thread_sensitive=False, executor=executor
        )(st["boss_user"])
        ctx = Ctx(actor=principal, device_id="bench-committer")
        for job_id, courier_index in st["jobs"]:
            work.append([job_id, courier_index, st["couriers"], ctx])
    # A job is reassigned again only after len(work) other changes: never twice at once while
    # inflight < len(work).
    inflight = max(1, min(inflight, len(work) // 2))
    assign = sync_to_async(job_assign, thread_sensitive=False, executor=executor)
    slots = asyncio.Semaphore(inflight)
    running: set[asyncio.Task[None]] = set()
    failed: list[BaseException] = []

    async def one(item: list) -> None:  # type: ignore[type-arg]
        try:
            await assign(job_id=item[0], courier_id=item[2][item[1]], ctx=item[3])
        except BaseException as exc:  # reported at the end: a refused change is a bench fault
            failed.append(exc)
        finally:
            slots.release()

    start = time.monotonic()
    done = late = 0
    while (elapsed := time.monotonic() - start) < seconds:
        due = start + done / rate
        if due > time.monotonic():
            await asyncio.sleep(due - time.monotonic())
        await slots.acquire()
        if time.monotonic() - due > 0.05:
            late += 1
        item = work[done % len(work)]
        item[1] = (item[1] + 1) % len(item[2])
        task = asyncio.create_task(one(item))
        running.add(task)
        task.add_done_callback(running.discard)
        done += 1
    if running:
        await asyncio.gather(*running)
    elapsed = time.monotonic() - start
    print(
        json.dumps(
            {
                "commits": done - len(failed),
                "failed": len(failed),
                "first_failure": repr(failed[0])[:300] if failed else None,
                "inflight": inflight,
                "seconds": round(elapsed, 2),
                "rate": round((done - len(failed)) / elapsed, 1),
                "late_over_50ms": late,
                "cpu_s": round(time.process_time(), 1),
            }
        ),
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["seed", "commit"])
    ap.add_argument("plan", type=Path)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=200)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--part", type=int, default=0)
    ap.add_argument("--parts", type=int, default=1)
    ap.add_argument("--inflight", type=int, default=4, help="changes in flight at once per committer")
    args = ap.parse_args()
    if args.what == "seed":
        seed(args.plan, args.clients)
    else:
        asyncio.run(commit(args.plan, args.rate, args.seconds, args.part, args.parts, args.inflight))


if __name__ == "__main__":
    main()
