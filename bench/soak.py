"""Soak: a station's day at a steady pace on the production layout; JSON lines out, exit 1 on a miss.

    .venv/bin/python bench/soak.py [--minutes 10] [--couriers 30] [--jobs 90] [--supervisors 3]
                                   [--customers 20] [--workers 2]

Needs PostgreSQL and Redis (DATABASE_URL's server, REDIS_URL; defaults on loopback). It recreates
the database ``parcelrun_bench_soak``, seeds one station through the services (bench/soak_world.py),
starts two daphne workers, one Celery worker and one Celery beat (the layout of
docs/operations.md, minus nginx), and for ``--minutes`` runs:

- **couriers** (each on a handheld with its courier socket open): a loading scan of their parcels
  at the app's batch size of 100, then job after job: ``start`` + ``arrive`` in one push, a few
  seconds at the door, ``deliver`` (four in five) or ``fail``; a pull with their cursor every 15 s;
- **supervisors** with the station socket open, reading the courier list and the first page of the
  station's jobs every 5 s;
- **customers** on their shipment links (the shipment socket) reading public tracking with their
  phone suffix once a minute (all customers share the loopback address, so they stay inside the
  per-address tracking limit of 30 a minute as real customers on their own addresses do).

Targets: errors = 0 (any HTTP status ≥ 400, any op not ``applied``/``duplicate``, any socket closed
by the server or an ``error`` message), 0 lost (every job a courier finished has the status the
courier's own log says, checked in the database at the end), RSS growth of each server process
≤ 10 % from the end of the run's first quarter to its end. p50/p95/p99 per operation are printed.
Everything runs on this machine's two cores: the load generator's CPU is reported beside the
servers'.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

import httpx
import psycopg
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.asgi_workers import ROOT, Worker, cpu_seconds, start_workers, stop_workers
from bench.report import emit
from parcelkit.uuid7 import uuid7

DB_NAME = "parcelrun_bench_soak"
TARGET_RSS_GROWTH_PCT = 10.0
PROOF = {"method": "signature", "recipient_relation": "self", "recipient_name": "收件人"}


@dataclass
class Run:
    deadline: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    finished: dict[int, str] = field(default_factory=dict)  # job id → the status the courier's log expects
    socket_messages: int = 0

    def live(self) -> bool:
        return time.monotonic() < self.deadline

    def error(self, what: str) -> None:
        if len(self.errors) < 200:
            self.errors.append(what)
        else:
            self.errors.append("…")


def prepare_database(base_url: str) -> str:
    parsed = urlparse(base_url)
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    url = parsed._replace(path=f"/{DB_NAME}").geturl()
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": "", "FAST_PASSWORD_HASHER": "True"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--skip-checks", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    return url


async def timed(run: Run, label: str, call: Any) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        answer: httpx.Response = await call
    except httpx.HTTPError as exc:
        run.error(f"{label}: {type(exc).__name__}")
        return None
    run.latencies[label].append((time.perf_counter() - started) * 1000)
    if answer.status_code >= 400:
        run.error(f"{label}: HTTP {answer.status_code} {answer.text[:120]}")
        return None
    return answer


async def listen(run: Run, uri: str, label: str) -> None:
    """Hold a socket open for the whole run, answering pings; the server closing it is an error."""
    try:
        async with connect(uri, proxy=None, open_timeout=60, max_queue=None) as ws:
            cursor = None
            while run.live():
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, run.deadline - time.monotonic()))
                except TimeoutError:
                    return
                message = json.loads(raw)
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong", "cursor": cursor}))
                elif message["type"] == "error":
                    run.error(f"{label} socket: {message['payload'].get('code')}")
                else:
                    cursor = message.get("cursor", cursor)
                    run.socket_messages += 1
    except Exception as exc:  # a refused or dropped socket is a finding, not a crash of the bench
        run.error(f"{label} socket: {type(exc).__name__}: {exc}")


def op(device: str, seq: int, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "op_id": str(uuid7()),
        "device_id": device,
        "seq": seq,
        "event_at": datetime.now(UTC).isoformat(),
        "kind": kind,
        "payload": payload,
    }


async def push(run: Run, http: httpx.AsyncClient, token: str, label: str, ops: list[dict[str, Any]]) -> bool:
    body = {"ops": ops, "sent_at": datetime.now(UTC).isoformat()}
    answer = await timed(
        run, label, http.post("/api/v1/sync/push", json=body, headers={"Authorization": f"Token {token}"})
    )
    if answer is None:
        return False
    ok = True
    for result in answer.json()["results"]:
        if result["outcome"] not in ("applied", "duplicate"):
            run.error(f"{label}: {result['outcome']} {result.get('code')}: {result.get('message')}")
            ok = False
    return ok


async def courier(run: Run, spec: dict[str, Any], worker: Worker, rng: random.Random) -> None:
    token, device = spec["token"], spec["device"]
    seq = iter(range(1, 10**9))
    auth = {"Authorization": f"Token {token}"}
    async with httpx.AsyncClient(base_url=worker.http, timeout=30) as http:
        answer = await timed(run, "pull_snapshot", http.get("/api/v1/sync/pull", headers=auth))
        cursor = answer.json()["cursor"] if answer is not None else None
        loading = [
            op(device, next(seq), "scan", {"tracking_no": no, "scan_kind": "loaded_out"})
            for _, no in spec["jobs"]
        ]
        for i in range(0, len(loading), 100):  # the handheld's batch size
            await push(run, http, token, "push_scans_100", loading[i : i + 100])
        last_pull = time.monotonic()
        for job_id, _ in spec["jobs"]:
            if not run.live():
                break
            await asyncio.sleep(rng.uniform(2.0, 5.0))  # riding to the next door
            await push(
                run,
                http,
                token,
                "push_transitions",
                [
                    op(device, next(seq), "start", {"job_id": job_id}),
                    op(device, next(seq), "arrive", {"job_id": job_id, "lat": 30.28, "lng": 120.13}),
                ],
            )
            await asyncio.sleep(rng.uniform(1.0, 3.0))  # at the door
            if rng.random() < 0.8:
                proof = {**PROOF, "media_sha256": [f"{rng.getrandbits(256):064x}"]}
                done = op(device, next(seq), "deliver", {"job_id": job_id, "proof": proof})
                expect = "completed"
            else:
                done = op(
                    device,
                    next(seq),
                    "fail",
                    {"job_id": job_id, "reason_code": "not_home", "next_step": {"kind": "retry"}},
                )
                expect = "failed"
            if await push(run, http, token, "push_outcome", [done]):
                run.finished[job_id] = expect
            if time.monotonic() - last_pull >= 15:
                answer = await timed(
                    run, "pull", http.get("/api/v1/sync/pull", params={"cursor": cursor}, headers=auth)
                )
                if answer is not None:
                    cursor = answer.json()["cursor"]
                last_pull = time.monotonic()


async def supervisor(run: Run, token: str, station: str, worker: Worker) -> None:
    auth = {"Authorization": f"Token {token}"}
    async with httpx.AsyncClient(base_url=worker.http, timeout=30) as http:
        while run.live():
            await timed(
                run, "station_couriers", http.get(f"/api/v1/stations/{station}/couriers", headers=auth)
            )
            await timed(run, "station_jobs", http.get(f"/api/v1/stations/{station}/jobs", headers=auth))
            await asyncio.sleep(5)


async def customer(run: Run, spec: dict[str, Any], worker: Worker, rng: random.Random) -> None:
    async with httpx.AsyncClient(base_url=worker.http, timeout=30) as http:
        await asyncio.sleep(rng.uniform(0, 60))  # customers arrive over the first minute
        while run.live():
            await timed(
                run,
                "track",
                http.get(f"/api/v1/track/{spec['tracking_no']}", params={"phone_last4": spec["phone_last4"]}),
            )
            await asyncio.sleep(60)


async def drive(plan: dict[str, Any], workers: list[Worker], seconds: float, seed: int) -> Run:
    run = Run(deadline=time.monotonic() + seconds)
    rng = random.Random(seed)
    tasks = []
    for i, spec in enumerate(plan["couriers"]):
        w = workers[i % len(workers)]
        tasks.append(listen(run, f"{w.ws}/ws/courier/?{urlencode({'token': spec['token']})}", "courier"))
        tasks.append(courier(run, spec, w, random.Random(rng.random())))
    for i, token in enumerate(plan["supervisors"]):
        w = workers[i % len(workers)]
        tasks.append(
            listen(run, f"{w.ws}/ws/station/{plan['station']}/?{urlencode({'token': token})}", "station")
        )
        tasks.append(supervisor(run, token, plan["station"], w))
    for i, spec in enumerate(plan["customers"]):
        w = workers[i % len(workers)]
        uri = f"{w.ws}/ws/shipment/{spec['tracking_no']}/?{urlencode({'token': spec['link']})}"
        tasks.append(listen(run, uri, "customer"))
        tasks.append(customer(run, spec, w, random.Random(rng.random())))
    await asyncio.gather(*tasks)
    return run


def lost(url: str, finished: dict[int, str]) -> int:
    """Jobs whose status in the database is not what the courier's own log says it made it."""
    if not finished:
        return 0
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT id, status FROM shipments_job WHERE id = ANY(%s)", (list(finished),)
        ).fetchall()
    return sum(1 for job_id, status in rows if status != finished[job_id]) + len(finished) - len(rows)


def rss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def tree_rss_kb(pid: int) -> int:
    """A process and its children (the Celery worker's pool)."""
    total = rss_kb(pid)
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task").iterdir():
            for kid in (child / "children").read_text().split():
                total += tree_rss_kb(int(kid))
    return total


def tree_cpu_s(pid: int) -> float:
    total = 0.0
    with contextlib.suppress(OSError):
        total = cpu_seconds(pid)
        for child in Path(f"/proc/{pid}/task").iterdir():
            for kid in (child / "children").read_text().split():
                total += tree_cpu_s(int(kid))
    return total


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1) if ordered else 0.0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--couriers", type=int, default=30)
    p.add_argument("--jobs", type=int, default=90)
    p.add_argument("--supervisors", type=int, default=3)
    p.add_argument("--customers", type=int, default=20)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parcelrun")
    redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/2")
    url = prepare_database(base)
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis, "FAST_PASSWORD_HASHER": "True"}
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        plan_path = Path(tmp) / "plan.json"
        t0 = time.monotonic()
        subprocess.run(
            [sys.executable, "bench/soak_world.py", str(plan_path), "--couriers", str(a.couriers),
             "--jobs", str(a.jobs), "--supervisors", str(a.supervisors), "--customers", str(a.customers)],
            cwd=ROOT, env={**env, "REDIS_URL": ""}, check=True,
        )  # fmt: skip
        plan = json.loads(plan_path.read_text())
        emit(bench="soak", phase="seeded", seconds=round(time.monotonic() - t0, 1), couriers=a.couriers,
             jobs=a.couriers * a.jobs, supervisors=a.supervisors, customers=a.customers)  # fmt: skip
        subprocess.run(["redis-cli", "-u", redis, "FLUSHDB"], check=True, capture_output=True)
        celery = [str(Path(sys.executable).parent / "celery"), "-A", "backend"]
        log = Path(tmp) / "celery.log"
        procs = {
            "celery_worker": subprocess.Popen(
                [*celery, "worker", "-l", "WARNING", "-c", "1", "--without-gossip", "--without-mingle", "--purge"],
                cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
            ),
            "celery_beat": subprocess.Popen(
                [*celery, "beat", "-l", "WARNING", "-s", str(Path(tmp) / "beat-schedule")],
                cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
            ),
        }  # fmt: skip
        workers = start_workers(a.workers, database_url=url, redis_url=redis, log_dir=Path(tmp))
        servers = {f"daphne_{i}": w.proc.pid for i, w in enumerate(workers)}
        servers["celery_worker"] = procs["celery_worker"].pid
        seconds = a.minutes * 60
        samples: list[tuple[float, dict[str, int]]] = []

        async def sample() -> None:
            start = time.monotonic()
            while time.monotonic() - start < seconds:
                samples.append((time.monotonic() - start, {k: tree_rss_kb(v) for k, v in servers.items()}))
                await asyncio.sleep(5)

        cpu0 = {k: tree_cpu_s(v) for k, v in servers.items()}
        load0 = resource.getrusage(resource.RUSAGE_SELF)

        async def both() -> Run:
            sampler = asyncio.create_task(sample())
            run = await drive(plan, workers, seconds, a.seed)
            await sampler
            return run

        try:
            run = asyncio.run(both())
            cpu = {k: round(tree_cpu_s(v) - cpu0[k], 1) for k, v in servers.items()}
        finally:
            stop_workers(workers)
            for proc in procs.values():
                proc.terminate()
            for proc in procs.values():
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=15)
        load1 = resource.getrusage(resource.RUSAGE_SELF)
        generator_cpu = round(load1.ru_utime + load1.ru_stime - load0.ru_utime - load0.ru_stime, 1)
        celery_failures = log.read_text(errors="replace").count("ERROR")

    for label, values in sorted(run.latencies.items()):
        emit(bench="soak", op=label, n=len(values), p50_ms=pct(values, 50), p95_ms=pct(values, 95),
             p99_ms=pct(values, 99))  # fmt: skip
    quarter = [s for t, s in samples if t >= seconds / 4]
    growth = {}
    if quarter:
        first, last = quarter[0], samples[-1][1]
        growth = {k: round((last[k] - first[k]) / first[k] * 100, 1) for k in servers if first[k]}
    missing = lost(url, run.finished)
    met = not run.errors and missing == 0 and celery_failures == 0 and bool(growth)
    met = met and all(g <= TARGET_RSS_GROWTH_PCT for g in growth.values())
    emit(
        bench="soak",
        minutes=a.minutes,
        jobs_finished=len(run.finished),
        socket_messages=run.socket_messages,
        errors=len(run.errors),
        first_errors=run.errors[:10],
        lost=missing,
        celery_log_errors=celery_failures,
        rss_growth_pct=growth,
        rss_end_mb={k: round(v / 1024, 1) for k, v in (samples[-1][1] if samples else {}).items()},
        cpu_s=cpu,
        load_generator_cpu_s=generator_cpu,
        targets={"errors": 0, "lost": 0, "rss_growth_pct": TARGET_RSS_GROWTH_PCT},
        met=met,
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
