"""Live-updates benchmark: N websocket clients on two daphne workers (Redis pub/sub layer), changes
committed through the services at a steady rate; JSON lines out, exit 1 when a target is missed.

    .venv/bin/python bench/realtime.py [--clients 1000] [--rate 200] [--seconds 300] [--workers 2] [--quick]

Needs PostgreSQL and Redis (DATABASE_URL's server, REDIS_URL; defaults on loopback). It recreates the
database ``parcelrun_bench_rt``, seeds stations (35 couriers, 5 supervisor consoles, 10 customers per
50 clients), starts the workers, connects the clients round-robin, runs the committer
(bench/realtime_load.py: ``job_assign`` reassignments, ``--inflight`` at once in each, as a server
serves concurrent requests) in their own processes, and then checks every
client's received cursors against the change feed: a row of its audience it never got is lost.

Latency = client receipt − the envelope's ``at`` (the row's write time inside the committing
transaction, so it includes the commit itself). Targets (2 cores): p99 ≤ 100 ms for the surviving
clients, 0 lost, 0 duplicates, worker RSS growth ≤ 10 % from the first quarter of the run to its
end, and the committers reaching at least 95 % of the asked rate (a starved load generator is a
failed run).

As a deployment runs it: a Celery worker runs the re-plan windows each reassignment opens for two
couriers (``--no-celery`` to leave them queued), and faults happen during the run: a third in, 5 %
of the sockets are cut (``--drop-pct``); at half, one ASGI worker is SIGKILLed (``--no-kill``). Every cut
client reconnects to a live worker with its last cursor and must get every row of its audience
exactly once (the audit counts all clients); the p99 is the survivors' (never cut), the resumed
clients' p99 (their replay included) is printed beside it. On 2 cores the server side (daphne
workers, Celery) is pinned to CPU 0 and the load generator (this process's clients and the
committers) to CPU 1 with taskset (``--pin``); PostgreSQL and Redis are the machine's own and are
not pinned. The generator's CPU is printed (``generator_cpu_share_of_one_core``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlparse

import psycopg
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.asgi_workers import ROOT, Worker, start_workers, stop_workers
from bench.report import emit
from bench.sync_sustained import postgres_cpu, postmaster_pid, proc_cpu

DB_NAME = "parcelrun_bench_rt"
TARGET_P99_MS = 100.0
TARGET_RSS_GROWTH_PCT = 10.0


@dataclass
class Client:
    spec: dict  # type: ignore[type-arg]
    start: int = -1
    cursors: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ws: ClientConnection | None = None
    worker: int = 0
    # Disconnections (a killed worker, a dropped socket) and the sessions resumed by cursor after them.
    cut: int = 0
    resumed: int = 0


@dataclass
class Stats:
    latencies_ms: list[float] = field(default_factory=list)  # survivors: never disconnected
    resumed_ms: list[float] = field(default_factory=list)  # clients after a cut (replay included)
    window: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)  # survivors' latencies per message type
    loop_lag_ms: list[float] = field(default_factory=list)  # this process's own scheduling delay
    window_lag: list[float] = field(default_factory=list)


async def watch_loop_lag(stats: Stats, done: asyncio.Event, every_s: float = 0.02) -> None:
    """How late this process's event loop wakes a sleeper: a receipt time taken here is late by as
    much (the clients share the loop). Printed beside the latencies, so the generator's own delay
    is measured, not guessed."""
    while not done.is_set():
        t = time.perf_counter()
        await asyncio.sleep(every_s)
        lag = (time.perf_counter() - t - every_s) * 1000
        stats.loop_lag_ms.append(lag)
        stats.window_lag.append(lag)


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


async def run_client(
    client: Client, workers: list[Worker], stats: Stats, gate: asyncio.Semaphore, done: asyncio.Event
) -> None:
    """One socket; when the server cuts it (a worker killed, the socket dropped), it reconnects to a
    live worker with the last cursor it processed, as docs/realtime.md tells clients to."""
    last: int | None = None
    while not done.is_set():
        worker = workers[client.worker]
        query = {"token": client.spec["token"], **({} if last is None else {"cursor": last})}
        uri = f"{worker.ws}{client.spec['path']}?{urlencode(query)}"
        try:
            async with gate:
                ws = await connect(uri, proxy=None, compression=None, open_timeout=60, max_queue=None)
            client.ws = ws
            async for raw in ws:
                now = time.time()
                message = json.loads(raw)
                kind = message["type"]
                if kind == "session.ready":
                    if client.start < 0:
                        client.start = message["cursor"]
                    else:
                        client.resumed += 1
                    if last is None:
                        last = message["cursor"]
                elif kind == "ping":
                    await ws.send(json.dumps({"type": "pong", "cursor": last}))
                elif kind == "error":
                    client.errors.append(message["payload"]["code"])
                elif message["cursor"] is not None:
                    latency = (now - datetime.fromisoformat(message["at"]).timestamp()) * 1000
                    (stats.resumed_ms if client.cut else stats.latencies_ms).append(latency)
                    if not client.cut:
                        stats.by_kind.setdefault(kind, []).append(latency)
                    stats.window.append(latency)
                    client.cursors.append(message["cursor"])
                    last = message["cursor"]
        except (OSError, TimeoutError, ConnectionClosed):
            pass
        if done.is_set():
            return
        if client.start < 0 and not client.cut:
            client.errors.append("connect failed")
            return
        client.cut += 1
        live = [i for i, w in enumerate(workers) if w.proc.poll() is None]
        client.worker = live[(client.worker + 1) % len(live)] if live else client.worker
        await asyncio.sleep(0.5)


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)


def feed_head(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT COALESCE(MAX(cursor), 0) FROM shipments_feedentry").fetchone()
    return int(row[0]) if row else 0


def audit(url: str, clients: list[Client], head: int) -> dict[str, int]:
    """Compare each client's cursors with the rows of its audience in the change feed, up to ``head``."""
    low = min(c.start for c in clients if c.start >= 0)
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT cursor, station_id, courier_id, prev_courier_id, shipment_id FROM shipments_feedentry "
            "WHERE cursor > %s AND cursor <= %s",
            [low, head],
        ).fetchall()
    by: dict[tuple[str, int], list[int]] = {}
    for cursor, station, courier, prev, shipment in rows:
        keys = {("station", station), ("shipment", shipment), ("courier", courier), ("courier", prev)}
        for key in keys:
            if key[1] is not None:
                by.setdefault(key, []).append(cursor)
    expected = lost = duplicates = unexpected = 0
    for c in clients:
        want = {x for x in by.get(tuple(c.spec["audience"]), []) if x > c.start}  # type: ignore[arg-type]
        got = Counter(c.cursors)
        expected += len(want)
        lost += len(want - set(got))
        duplicates += sum(n - 1 for n in got.values() if n > 1)
        unexpected += len({x for x in got if x <= head} - want)
    return {"expected": expected, "lost": lost, "duplicates": duplicates, "unexpected": unexpected}


def db_commits(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [DB_NAME]
        ).fetchone()
    return int(row[0]) if row else 0


async def inject_faults(
    args: argparse.Namespace, workers: list[Worker], clients: list[Client], started: float
) -> dict[str, object]:
    """A third into the run, cut ``--drop-pct`` of the sockets (the TCP connection aborted, as a
    phone losing signal); at half, SIGKILL one ASGI worker. Every cut client reconnects by cursor.

    The run's clock starts at the first change received (the committers take a while to start on a
    loaded machine), so the faults fall while changes flow."""
    rng = random.Random(7)
    report: dict[str, object] = {"dropped_sockets": 0, "killed_worker": None}
    while not any(c.cursors for c in clients) and time.monotonic() - started < args.seconds:
        await asyncio.sleep(0.1)
    started = time.monotonic()
    await asyncio.sleep(max(0.0, started + args.seconds / 3 - time.monotonic()))
    victims = [c for c in clients if c.ws is not None and c.worker == 0]
    for c in rng.sample(victims, min(len(victims), round(len(clients) * args.drop_pct / 100))):
        if c.ws is not None and c.ws.transport is not None:
            c.ws.transport.abort()
            report["dropped_sockets"] = int(report["dropped_sockets"]) + 1  # type: ignore[call-overload]
    if args.kill_worker and len(workers) > 1:
        await asyncio.sleep(max(0.0, started + args.seconds / 2 - time.monotonic()))
        workers[-1].proc.kill()
        report["killed_worker"] = workers[-1].port
        report["clients_on_killed_worker"] = sum(1 for c in clients if c.worker == len(workers) - 1)
    emit(event="faults", **report)
    return report


def start_celery(env: dict[str, str], log: Path, cpus: str | None, nice: int = 0) -> subprocess.Popen[bytes]:
    """The worker that runs the re-plan windows the reassignments open (their runs only: the
    committing processes open the windows themselves, docs/dispatch.md)."""
    celery = str(Path(sys.executable).parent / "celery")
    # --purge: the queue may hold an earlier run's scheduled re-plans (a killed or timed-out run
    # leaves its windows' runs behind), for courier ids this run's fresh database reuses; they
    # would run first and push this run's own re-plans back.
    cmd = [celery, "-A", "backend", "worker", "--loglevel=WARNING", "--concurrency=1", "--purge"]
    cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"rtbench-{os.getpid()}@%h"]
    if nice:
        cmd = ["nice", "-n", str(nice), *cmd]
    proc = subprocess.Popen(
        ["taskset", "-c", cpus, *cmd] if cpus else cmd,
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    time.sleep(3)
    if proc.poll() is not None:
        raise RuntimeError(f"celery did not start: {log.read_text()[-1500:]}")
    return proc


async def load(
    args: argparse.Namespace, url: str, workers: list[Worker], plan: Path, celery_pid: int | None = None
) -> bool:
    specs = json.loads(plan.read_text())["clients"]
    clients = [Client(spec, worker=i % len(workers)) for i, spec in enumerate(specs)]
    stats = Stats()
    gate = asyncio.Semaphore(64)
    done = asyncio.Event()
    t0 = time.monotonic()
    tasks = [asyncio.create_task(run_client(c, workers, stats, gate, done)) for c in clients]
    while sum(c.start >= 0 or bool(c.errors) for c in clients) < len(clients):
        if time.monotonic() - t0 > 120 or any(t.done() and t.exception() for t in tasks):
            failed = [t.exception() for t in tasks if t.done() and t.exception()]
            emit(event="connect_failed", connected=sum(c.start >= 0 for c in clients), errors=str(failed[:3]))
            return False
        await asyncio.sleep(0.2)
    rss_start = [w.rss_kb() for w in workers]
    # The measuring process must not add its own pauses: freeze what connecting allocated and make
    # full collections rare (it allocates only short-lived frames from here on).
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
    emit(
        event="connected",
        clients=len(clients),
        seconds=round(time.monotonic() - t0, 2),
        rss_kb=rss_start,
        refused=sum(bool(c.errors) for c in clients),
    )
    xacts_before = db_commits(url)
    cpu_before = [w.cpu_s() for w in workers], time.process_time()
    postmaster = postmaster_pid(url)
    # The Celery worker (its pool's child does the work) and PostgreSQL: the rest of a commit's cost.
    side_before = proc_cpu(celery_pid, children=True) if celery_pid else 0.0, postgres_cpu(postmaster)
    # A pooled connection for each change in flight (its thread keeps it): fewer, and a commit waits.
    pool = str(max(args.inflight, int(os.environ.get("DATABASE_POOL_MAX") or 0)))
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": args.redis_url, "DATABASE_POOL_MAX": pool}
    committers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "bench" / "realtime_load.py"),
            "commit",
            str(plan),
            "--rate",
            str(args.rate / args.committers),
            "--seconds",
            str(args.seconds),
            "--part",
            str(i),
            "--parts",
            str(args.committers),
            "--inflight",
            str(args.inflight),
            env=env,
            stdout=asyncio.subprocess.PIPE,
        )
        for i in range(args.committers)
    ]
    started, samples = time.monotonic(), []
    faults = asyncio.create_task(inject_faults(args, workers, clients, started))
    lag_watch = asyncio.create_task(watch_loop_lag(stats, done))
    while any(c.returncode is None for c in committers):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(c.wait() for c in committers)), timeout=10)
        window, stats.window = stats.window, []
        lag, stats.window_lag = stats.window_lag, []
        samples.append([w.rss_kb() for w in workers])
        emit(
            event="progress",
            t=round(time.monotonic() - started),
            delivered=len(stats.latencies_ms),
            window_p99_ms=pct(window, 99),
            window_loop_lag_p99_ms=pct(lag, 99),
            rss_kb=samples[-1],
        )
    reports = []
    for c in committers:
        out = (await c.stdout.read()).decode().strip().splitlines()  # type: ignore[union-attr]
        if c.returncode != 0 or not out:
            emit(event="committer_failed", returncode=c.returncode, output=out[-5:])
            return False
        reports.append(json.loads(out[-1]))
    fault_report = await faults
    cpu_workers = [
        round(w.cpu_s() - b, 1) if w.proc.poll() is None else None  # a killed worker's CPU is gone
        for w, b in zip(workers, cpu_before[0], strict=True)
    ]
    cpu_clients = round(time.process_time() - cpu_before[1], 1)
    cpu_celery = round(proc_cpu(celery_pid, children=True) - side_before[0], 1) if celery_pid else None
    cpu_postgres = round(postgres_cpu(postmaster) - side_before[1], 1)
    commit_report = {
        "commits": sum(r["commits"] for r in reports),
        "seconds": max(r["seconds"] for r in reports),
        "late_over_50ms": sum(r["late_over_50ms"] for r in reports),
        "failed_commits": sum(r.get("failed", 0) for r in reports),
        "first_failure": next((r["first_failure"] for r in reports if r.get("first_failure")), None),
        "inflight_per_committer": reports[0].get("inflight"),
    }
    commit_report["rate"] = round(commit_report["commits"] / commit_report["seconds"], 1)
    # The audit covers the rows committed until the committers stopped, each given 3 s more to
    # arrive. The worker's debounced re-plans go on writing rows after that (up to the debounce
    # later), which the clients, closed below, could not receive: they are not in the count.
    head = feed_head(url)
    await asyncio.sleep(3)  # let the last pushes arrive
    xacts = db_commits(url) - xacts_before
    rss_end = [w.rss_kb() for w in workers]
    done.set()
    await lag_watch
    for c in clients:
        if c.ws is not None:
            await c.ws.close()
    for t in tasks:
        t.cancel()
    counts = audit(url, clients, head)
    quarter = samples[max(0, len(samples) // 4 - 1)] if samples else rss_start
    growth = [
        round(100 * (end - q) / q, 1)
        for w, end, q in zip(workers, rss_end, quarter, strict=True)
        if w.proc.poll() is None and q  # a killed worker has no memory to grow
    ]
    lat = stats.latencies_ms
    cut = [c for c in clients if c.cut]
    elapsed = time.monotonic() - started
    generator_cpu = cpu_clients + sum(r.get("cpu_s") or 0 for r in reports)
    result = {
        "event": "result",
        "clients": len(clients),
        "workers": len(workers),
        "rate_target": args.rate,
        **commit_report,
        "delivered": len(lat),
        **counts,
        "p50_ms": pct(lat, 50),
        "p95_ms": pct(lat, 95),
        "p99_ms": pct(lat, 99),
        "max_ms": round(max(lat or [0]), 1),
        "mean_ms": round(statistics.fmean(lat), 1) if lat else 0,
        "p99_ms_by_type": {k: [len(v), pct(v, 99)] for k, v in sorted(stats.by_kind.items())},
        "generator_loop_lag_ms": {
            "p50": pct(stats.loop_lag_ms, 50),
            "p99": pct(stats.loop_lag_ms, 99),
            "max": round(max(stats.loop_lag_ms or [0]), 1),
        },
        "cpu_s_workers": cpu_workers,
        "cpu_s_clients": cpu_clients,
        "cpu_s_committers": [r.get("cpu_s") for r in reports],
        "cpu_s_celery": cpu_celery,
        "cpu_s_postgres": cpu_postgres,
        "generator_cpu_share_of_one_core": round(generator_cpu / elapsed, 2),
        "pinning": args.pin or "none",
        "celery_worker": bool(args.celery),
        **fault_report,
        "cut_clients": len(cut),
        "cut_clients_resumed": sum(1 for c in cut if c.resumed >= 1),
        "p99_ms_after_resume": pct(stats.resumed_ms, 99),
        "db_xacts": xacts,
        "db_xacts_per_commit": round(xacts / max(1, commit_report["commits"]), 2),
        "rss_kb_start": rss_start,
        "rss_kb_quarter": quarter,
        "rss_kb_end": rss_end,
        "rss_growth_pct": growth,
        "client_errors": dict(Counter(e for c in clients for e in c.errors)),
        "targets": {
            "rate_min": round(0.95 * args.rate, 1),
            "p99_ms": TARGET_P99_MS,
            "lost": 0,
            "duplicates": 0,
            "rss_growth_pct": TARGET_RSS_GROWTH_PCT,
        },
    }
    result["ok"] = (
        result["p99_ms"] <= TARGET_P99_MS
        and commit_report["rate"] >= 0.95 * args.rate
        and commit_report["failed_commits"] == 0
        and counts["lost"] == 0
        and counts["duplicates"] == 0
        and counts["unexpected"] == 0
        and max(growth or [0]) <= TARGET_RSS_GROWTH_PCT
        and not result["client_errors"]
        and all(c.resumed >= 1 for c in cut)
        and (not args.kill_worker or fault_report["killed_worker"] is not None)
    )
    emit(**result)
    return bool(result["ok"])


def main() -> int:
    global DB_NAME
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=200, help="changes committed per second")
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--committers", type=int, default=2, help="committer processes sharing the rate")
    ap.add_argument(
        "--inflight",
        type=int,
        default=4,
        help="changes each committer keeps in flight at once (1: one by one)",
    )
    ap.add_argument("--quick", action="store_true", help="200 clients, 50/s, 20 s: a smoke run")
    ap.add_argument(
        "--pin",
        default="0:1" if os.cpu_count() == 2 else "",
        help="SERVER_CPUS:GENERATOR_CPUS for taskset (default on 2 cores: workers and Celery on 0, "
        "clients and committers on 1; PostgreSQL and Redis are the machine's and float); '' for none",
    )
    ap.add_argument(
        "--db-name", default="parcelrun_bench_rt", help="the bench database (dropped and recreated)"
    )
    ap.add_argument("--no-celery", dest="celery", action="store_false", help="no worker for the re-plans")
    ap.add_argument(
        "--celery-nice",
        type=int,
        default=0,
        help="run the Celery worker at this nice level (docs/operations.md: background below live work)",
    )
    ap.add_argument("--no-kill", dest="kill_worker", action="store_false", help="do not kill a worker")
    ap.add_argument("--drop-pct", type=float, default=5.0, help="sockets cut a third into the run")
    ap.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres",
    )
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    args = ap.parse_args()
    if args.quick:
        args.clients, args.rate, args.seconds = 200, 50, 20
    # Every process of the run (seeding, workers, committers, Celery) as a deployment runs them:
    # DEBUG off (no query log), one key (the customers' links are signed by the seeding process).
    os.environ["DEBUG"] = "False"
    os.environ["SECRET_KEY"] = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48)
    DB_NAME = args.db_name
    url = prepare_database(args.database_url)
    logs = Path(tempfile.mkdtemp(prefix="bench-rt-"))
    plan = logs / "plan.json"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": "", "FAST_PASSWORD_HASHER": "True"}
    t0 = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "realtime_load.py"),
            "seed",
            str(plan),
            "--clients",
            str(args.clients),
        ],
        env=env,
        check=True,
    )
    emit(event="seeded", seconds=round(time.monotonic() - t0, 1), database=DB_NAME, logs=str(logs))
    server_cpus, _, generator_cpus = args.pin.partition(":")
    workers = start_workers(
        args.workers,
        database_url=url,
        redis_url=args.redis_url,
        log_dir=logs,
        cpus=server_cpus or None,
        timeout_s=180,  # one core for both workers' start on a loaded machine
    )
    celery = None
    try:
        if args.celery:
            celery_env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": args.redis_url}
            celery = start_celery(celery_env, logs / "celery.log", server_cpus or None, args.celery_nice)
        if generator_cpus:  # the clients and, inherited, the committer processes
            os.sched_setaffinity(0, {int(c) for c in generator_cpus.split(",")})
        ok = asyncio.run(load(args, url, workers, plan, celery.pid if celery is not None else None))
    finally:
        stop_workers(workers)
        if celery is not None:
            celery.terminate()
            try:
                celery.wait(20)
            except subprocess.TimeoutExpired:
                celery.kill()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
