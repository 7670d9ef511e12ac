"""Auto-assignment end to end: ``POST /jobs/{id}/auto-assign`` over HTTP at a loaded station.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/parcelrun_x .venv/bin/python bench/dispatch.py assign \
        [--couriers 30] [--per-courier 150] [--calls 1000] [--intake-calls 200] [--local-hour 10]
        [--reuse /tmp/bench-assign-XXXX]   # the last run's seeded database, topped up with new pending jobs
    DATABASE_URL=<the seeded database> .venv/bin/python bench/dispatch_assign.py --profile PLAN CALLS [OUT.prof]

The database ``<name>_assignbench`` is dropped, created, migrated and seeded through the services
(this file run as ``--seed`` in its own process): one station whose time zone is chosen so that it
is ``--local-hour`` (10:00) there now, ``--couriers`` on-duty e-tricycle couriers (shift 08:00–22:00)
each with ``--per-courier`` open jobs in a ~10 km × 10 km district, ordered by a sweep sector and a
nearest-neighbour tour and written with their ETAs by the dispatch service (``write_order``), and
``--calls`` pending jobs (one in five with a 2-hour window) left for the bench.

A real daphne worker (production profile) then serves, one request after the other as a
supervisor's console clicks:

1. ``POST /jobs/{id}/auto-assign`` for every pending job (the first ``--warmup`` are not counted);
2. ``--intake-calls`` times: ``POST /stations/{code}/shipments`` then ``POST /jobs/{id}/auto-assign``
   (intake with auto-assignment, as the console does it), timed as one operation.

Reported: nearest-rank p50/p95/p99 per phase, decisions by rule, and the server's CPU seconds per
call (user + system of the worker process, from /proc; PostgreSQL's backends are not counted).
Targets: auto-assign p50/p95/p99 ≤ 50/100/200 ms, no HTTP error. The debounced re-plans the calls ask
for go to Redis; no Celery worker runs, so they are not part of the measured latency.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as `python bench/dispatch_assign.py`
from bench.report import emit, pct, recreate_database  # noqa: E402

TARGET_MS = {"p50": 50.0, "p95": 100.0, "p99": 200.0}
HALF_SIDE_KM = 5.0
KM_PER_DEG = 111.195


def zone_for_local_hour(hour: int, now: datetime) -> str:
    """An ``Etc/GMT±N`` zone in which it is ``hour`` o'clock (give or take the minutes) at ``now``."""
    offset = (hour - now.astimezone(UTC).hour + 12) % 24 - 12
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT-{offset}" if offset > 0 else f"Etc/GMT+{-offset}"  # POSIX sign convention


def bench_url(url: str) -> str:
    parsed = urlparse(url)
    name = (parsed.path.strip("/") or "parcelrun") + "_assignbench"
    return parsed._replace(path=f"/{name}").geturl()


# --- seeding (its own process: python bench/dispatch_assign.py --seed PLAN ...) ----------------------


def seed(plan_path: Path, couriers_n: int, per_courier: int, pending_n: int, local_hour: int) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    django.setup()
    from datetime import time as dtime

    from django.db import transaction

    from backend.accounts.roles import principal_of
    from backend.accounts.services import token_issue
    from backend.couriers.models import Courier, DutyStatus, Station
    from backend.couriers.selectors import station_today
    from backend.couriers.services import courier_create, supervisor_create
    from backend.dispatch.planning.baseline import nearest_neighbour_2opt
    from backend.dispatch.planning.model import PlanRequest
    from backend.dispatch.planning.partition import split
    from backend.dispatch.services.planning import write_order
    from backend.dispatch.services.routes import MATRIX, build_days, job_stop
    from backend.shipments.context import Ctx
    from backend.shipments.services import ShipmentInput, job_assign, shipment_create

    rng = random.Random(19)
    station = Station.objects.create(
        code="ASG1",
        name="派单测试站",
        address="杭州市西湖区文三路1号",
        lat=30.28,
        lng=120.13,
        time_zone=zone_for_local_hour(local_hour, datetime.now(UTC)),
    )
    sup = supervisor_create(station_id=station.pk, username="boss0", name="站长", password="bench-pass-1")
    staff = Ctx(actor=principal_of(sup.user), device_id="console-0")
    couriers = []
    for c in range(couriers_n):
        courier = courier_create(
            station_id=station.pk,
            employee_no=f"C{c:04d}",
            name=f"快递员{c}",
            phone="13800138000",
            password="bench-pass-1",
        )
        couriers.append(courier)
    Courier.objects.filter(station=station).update(
        duty_status=DutyStatus.ON_DUTY, shift_start=dtime(8), shift_end=dtime(22)
    )
    couriers = list(Courier.objects.filter(station=station).select_related("station").order_by("pk"))
    day = station_today(station)
    n = 0

    def shipment(kind: str, windowed: bool) -> Any:
        nonlocal n
        n += 1
        lat = station.lat + rng.uniform(-HALF_SIDE_KM, HALF_SIDE_KM) / KM_PER_DEG
        lng = station.lng + rng.uniform(-HALF_SIDE_KM, HALF_SIDE_KM) / (
            KM_PER_DEG * math.cos(math.radians(station.lat))
        )
        side = "sender" if kind == "pickup" else "recipient"
        data: dict[str, Any] = {
            "kind": kind,
            "sender_name": "张三",
            "sender_phone": "13812345678",
            "sender_address": f"杭州市西湖区文三路{n}号",
            "recipient_name": "李四",
            "recipient_phone": "13912345678",
            "recipient_address": f"杭州市西湖区教工路{n}号",
            f"{side}_lat": lat,
            f"{side}_lng": lng,
            "service_date": day,
        }
        if windowed:
            from backend.dispatch.services.routes import DayClock

            clock = DayClock.of(station, day)
            start = rng.randrange(12 * 3600, 20 * 3600, 1800)
            data.update(window_start=clock.at(start), window_end=clock.at(start + 7200))
        return shipment_create(station_id=station.pk, data=ShipmentInput.from_dict(data), ctx=staff)

    # The live routes: open-window deliveries and pickups, one sweep sector per courier.
    live = [
        shipment("delivery" if rng.random() < 0.7 else "pickup", False)
        for _ in range(couriers_n * per_courier)
    ]
    from backend.dispatch.services.routes import DayClock

    clock = DayClock.of(station, day)
    stops = {s.id: (s, j) for j in live if (s := job_stop(j, clock)) is not None}
    days = build_days(couriers, station, day)
    vehicles = tuple(d.vehicle for d in days)
    request = PlanRequest(stops=tuple(s for s, _ in stops.values()), vehicles=vehicles)
    for part in split(request, len(vehicles)):
        courier_id = int(part.vehicles[0].id)
        for s in part.stops:
            job_assign(job_id=stops[s.id][1].pk, courier_id=courier_id, ctx=staff)
        order = list(nearest_neighbour_2opt(part, MATRIX).routes[0].stop_ids)
        (cday,) = build_days([c for c in couriers if c.pk == courier_id], station, day)
        with transaction.atomic():
            write_order(cday, order, staff)
    pending = [
        shipment("delivery" if rng.random() < 0.7 else "pickup", rng.random() < 0.2) for _ in range(pending_n)
    ]
    plan = {
        "station": station.code,
        "time_zone": station.time_zone,
        "day": day.isoformat(),
        "token": token_issue(sup.user, "console-0")[1],
        "pending": [j.pk for j in pending],
        "seq": n,
    }
    plan_path.write_text(json.dumps(plan))


def top_up(plan_path: Path, pending_n: int, local_hour: int) -> None:
    """``--reuse``: the seeded station again, ``pending_n`` fresh pending jobs, the station's zone
    moved so that it is ``local_hour`` there now (same service date), and a fresh console token."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    django.setup()
    from django.contrib.auth.models import User

    from backend.accounts.roles import principal_of
    from backend.accounts.services import token_issue
    from backend.couriers.models import Station
    from backend.couriers.selectors import station_today
    from backend.shipments.context import Ctx
    from backend.shipments.services import ShipmentInput, shipment_create

    plan = json.loads(plan_path.read_text())
    station = Station.objects.get(code=plan["station"])
    zone = zone_for_local_hour(local_hour, datetime.now(UTC))
    Station.objects.filter(pk=station.pk).update(time_zone=zone)
    station.refresh_from_db()
    day = station_today(station)
    if day.isoformat() != plan["day"]:
        raise SystemExit(f"--reuse: the station's date would move to {day}; seed afresh")
    user = User.objects.get(username="boss0")
    staff = Ctx(actor=principal_of(user), device_id="console-0")
    rng = random.Random(plan["seq"])
    pending = []
    for i in range(pending_n):
        body = intake_body(plan["seq"] + i, plan["day"], rng)
        body["service_date"] = day  # a date, as the API's serializer hands it to the service
        body["kind"] = "delivery" if rng.random() < 0.7 else "pickup"
        if body["kind"] == "pickup":
            body |= {"sender_lat": body.pop("recipient_lat"), "sender_lng": body.pop("recipient_lng")}
        pending.append(
            shipment_create(station_id=station.pk, data=ShipmentInput.from_dict(body), ctx=staff).pk
        )
    plan |= {"pending": pending, "seq": plan["seq"] + pending_n + 10_000, "time_zone": zone}
    plan["token"] = token_issue(user, f"console-{plan['seq']}")[1]
    plan_path.write_text(json.dumps(plan))


def profile(plan_path: Path, calls: int, out: str) -> None:
    """``--profile``: ``calls`` auto-assignments in this process on the seeded station (the plan's
    pending jobs not yet decided), each with its wall and CPU milliseconds, the garbage
    collector's pauses in it and its statements; a cProfile of them all in ``out`` when given. For finding where a call's time goes, without
    HTTP; the bench's figures are the HTTP ones."""
    import cProfile
    import gc

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from backend.dispatch.services import auto_assign
    from backend.shipments.models import Job

    plan = json.loads(plan_path.read_text())
    todo = list(
        Job.objects.filter(pk__in=plan["pending"], status="pending")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    gc.freeze()  # as the server does once set up (backend/asgi.py)
    prof = cProfile.Profile(time.process_time) if out else None  # CPU, not wall: the box may be shared
    walls, cpus = [], []
    collecting = {"ms": 0.0, "full": 0, "t": 0.0}

    def gc_timer(phase: str, info: dict[str, int]) -> None:  # the collector's pauses, per call
        if phase == "start":
            collecting["t"] = time.perf_counter()
            return
        collecting["ms"] += 1000 * (time.perf_counter() - collecting["t"])
        collecting["full"] += info["generation"] == 2

    gc.callbacks.append(gc_timer)
    # BENCH_START=<ISO instant>: the calls' clock starts there and runs with the real one, so two
    # profiles of one seeded database (before and after a change) decide at the same moments.
    start = datetime.fromisoformat(os.environ["BENCH_START"]) if os.environ.get("BENCH_START") else None
    t_start = time.perf_counter()
    for job_id in todo[:calls]:
        collecting.update(ms=0.0, full=0)
        w, c = time.perf_counter(), time.process_time()
        now = start + timedelta(seconds=w - t_start) if start else None
        with CaptureQueriesContext(connection) as q:
            if prof:
                prof.enable()
            decision = auto_assign(job_id=job_id, now=now)
            if prof:
                prof.disable()
        walls.append(1000 * (time.perf_counter() - w))
        cpus.append(1000 * (time.process_time() - c))
        emit(
            bench="assign",
            phase="in_process",
            job=job_id,
            rule=decision.rule,
            wall_ms=round(walls[-1], 1),
            cpu_ms=round(cpus[-1], 1),
            gc_ms=round(collecting["ms"], 1),
            full_gc=collecting["full"],
            statements=len(q),
        )
    if prof:
        prof.dump_stats(out)
    if walls:
        emit(
            bench="assign",
            phase="in_process_summary",
            calls=len(walls),
            **{f"wall_{k}_ms": round(pct(walls, float(k[1:])), 1) for k in TARGET_MS},
            cpu_p50_ms=round(pct(cpus, 50.0), 1),
            loadavg=[round(x, 2) for x in os.getloadavg()],
        )


# --- the bench ---------------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP/1.1 connection, as one console tab."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "X-Forwarded-Proto": "https",
        }

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        self.conn.request("POST", path, body=json.dumps(body), headers=self.headers)
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, json.loads(data) if data else None


def intake_body(i: int, day: str, rng: random.Random) -> dict[str, Any]:
    lat = 30.28 + rng.uniform(-HALF_SIDE_KM, HALF_SIDE_KM) / KM_PER_DEG
    lng = 120.13 + rng.uniform(-HALF_SIDE_KM, HALF_SIDE_KM) / (KM_PER_DEG * math.cos(math.radians(30.28)))
    return {
        "kind": "delivery",
        "sender_name": "王五",
        "sender_phone": "13812345678",
        "sender_address": f"杭州市西湖区文二路{i}号",
        "recipient_name": "赵六",
        "recipient_phone": "13912345678",
        "recipient_address": f"杭州市西湖区学院路{i}号",
        "recipient_lat": lat,
        "recipient_lng": lng,
        "service_date": day,
    }


def run(args: Any) -> bool:
    from bench.asgi_workers import start_workers, stop_workers

    load1, load5, _ = os.getloadavg()
    emit(bench="assign", phase="machine", cores=os.cpu_count(), loadavg=[round(load1, 2), round(load5, 2)])
    url = bench_url(args.database_url)
    logs = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="bench-assign-"))
    quiet = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "REDIS_URL": "",
        "FAST_PASSWORD_HASHER": "True",
        "LOG_LEVEL": "WARNING",
    }
    plan_path = logs / "plan.json"
    t0 = time.monotonic()
    me = [sys.executable, str(Path(__file__).resolve())]
    if args.reuse:
        top = [*me, "--top-up", str(plan_path), str(args.calls + args.warmup), str(args.local_hour)]
        subprocess.run(top, cwd=ROOT, env=quiet, check=True)
    else:
        recreate_database(url)
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=quiet, check=True)
        sizes = [args.couriers, args.per_courier, args.calls + args.warmup, args.local_hour]
        subprocess.run([*me, "--seed", str(plan_path), *map(str, sizes)], cwd=ROOT, env=quiet, check=True)
    plan = json.loads(plan_path.read_text())
    emit(
        bench="assign",
        phase="seeded",
        seconds=round(time.monotonic() - t0, 1),
        time_zone=plan["time_zone"],
        plan=str(plan_path),
        reused=bool(args.reuse),
    )
    server_env = {
        "PARCELRUN_PROFILE": "production",
        "SECRET_KEY": "bench-" + os.urandom(24).hex(),
        "DEBUG": "False",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    workers = start_workers(
        1,
        database_url=url,
        redis_url=args.redis_url,
        log_dir=logs,
        extra_env=server_env,
        daphne_args=("--proxy-headers",),
    )
    ok = True
    try:
        w = workers[0]
        client = Client(w.port, plan["token"])
        times: list[float] = []
        rules: dict[str, int] = {}
        errors: list[Any] = []
        cpu0 = 0.0
        for i, job_id in enumerate(plan["pending"]):
            if i == args.warmup:
                cpu0 = w.cpu_s()
            t = time.perf_counter()
            status, body = client.post(f"/api/v1/jobs/{job_id}/auto-assign", {})
            ms = 1000 * (time.perf_counter() - t)
            if status >= 300:
                errors.append({"job": job_id, "status": status, "body": body})
                continue
            if i >= args.warmup:
                times.append(ms)
                rules[body.get("rule", "?")] = rules.get(body.get("rule", "?"), 0) + 1
        cpu = w.cpu_s() - cpu0
        figures = {k: round(pct(times, float(k[1:])), 1) for k in TARGET_MS}
        met = bool(times) and not errors and all(figures[k] <= TARGET_MS[k] for k in TARGET_MS)
        ok &= met
        emit(
            bench="assign",
            phase="auto_assign",
            calls=len(times),
            errors=len(errors),
            first_errors=errors[:3],
            rules=rules,
            **{f"{k}_ms": v for k, v in figures.items()},
            max_ms=round(max(times), 1) if times else None,
            server_cpu_ms_per_call=round(1000 * cpu / max(1, len(times)), 1),
            targets_ms=TARGET_MS,
            ok=met,
        )
        rng = random.Random(7)
        itimes: list[float] = []
        ierrors: list[Any] = []
        cpu0 = w.cpu_s()
        for i in range(args.intake_calls):
            t = time.perf_counter()
            status, body = client.post(
                f"/api/v1/stations/{plan['station']}/shipments",
                intake_body(plan["seq"] + i, plan["day"], rng),
            )
            if status != 201:
                ierrors.append({"status": status, "body": body})
                continue
            status, body = client.post(f"/api/v1/jobs/{body['id']}/auto-assign", {})
            if status >= 300:
                ierrors.append({"status": status, "body": body})
                continue
            itimes.append(1000 * (time.perf_counter() - t))
        icpu = w.cpu_s() - cpu0
        if args.intake_calls:
            emit(
                bench="assign",
                phase="intake_then_auto_assign",
                calls=len(itimes),
                errors=len(ierrors),
                first_errors=ierrors[:3],
                **{f"{k}_ms": round(pct(itimes, float(k[1:])), 1) for k in TARGET_MS} if itimes else {},
                server_cpu_ms_per_call=round(1000 * icpu / max(1, len(itimes)), 1),
                ok=not ierrors,
            )
            ok &= not ierrors
    finally:
        stop_workers(workers)
    load1, load5, _ = os.getloadavg()
    emit(bench="assign", phase="done", loadavg=[round(load1, 2), round(load5, 2)], ok=ok)
    return ok


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    a = sys.argv[2:]
    if len(sys.argv) == 7 and sys.argv[1] == "--seed":
        seed(Path(a[0]), int(a[1]), int(a[2]), int(a[3]), int(a[4]))
    elif len(sys.argv) == 5 and sys.argv[1] == "--top-up":
        top_up(Path(a[0]), int(a[1]), int(a[2]))
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "--profile":
        profile(Path(a[0]), int(a[1]), a[2] if len(a) > 2 else "")
