"""``bench/sync.py --sustained``: minutes of mixed sync load on preloaded tables, per-minute figures.

    .venv/bin/python bench/sync.py --sustained [--minutes 10] [--workers 3] [--couriers 300]
        [--scan-devices 16] [--pullers 6] [--min-events 20000000] [--min-shipments 2000000]

At once, for ``--minutes``: station scanners pushing batches of 100 (the handheld's batch size)
and of 500 (a belt), 300 couriers each pushing 1–3 ops (start, arrive, deliver or fail) as they
act, and couriers pulling their changes, against daphne workers with a Celery worker consuming
the re-plans the transitions queue. Every request is timed where it is made; the figures are
per minute and over the run. The load is closed-loop (each device sends its next request when
the last one is answered), so a throughput figure is what the server carried, not a rate that
was asked for.

Checked (exit 1 on any miss): scan events/s ≥ 20,000 and transition ops/s ≥ 1,000 over the
run and in no minute below 80 % of the first; pull p99 ≤ 50 ms; no request failed; autovacuum
on; the tables preloaded to the sizes asked (``bench/sync_preload.py``). CPU per op is reported
for the server workers, the Celery worker, PostgreSQL (the bench cluster's processes when the
database is ``bench/pg_private.py``'s, else every ``postgres`` process on the machine: said in
the output) and the load generator itself, which shares the machine.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import itertools
import json
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

PROOF = {"method": "signature", "recipient_relation": "self", "recipient_name": "李四"}
TARGETS = {
    "scan_events_per_s": 20_000,
    "transition_ops_per_s": 1_000,
    "pull_p99_ms": 50,
    "min_minute_ratio": 0.8,
}
_TICK = os.sysconf("SC_CLK_TCK")


def _op(device: str, seq: int, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    from parcelkit.uuid7 import uuid7

    return {
        "op_id": str(uuid7()),
        "device_id": device,
        "seq": seq,
        "event_at": datetime.now(UTC).isoformat(),
        "kind": kind,
        "payload": payload,
    }


def _body(ops: list[dict[str, Any]]) -> bytes:
    body = {"ops": ops, "sent_at": datetime.now(UTC).isoformat()}
    return gzip.compress(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(), 6)


class Log:
    """Every finished request: (end time, kind, ops, latency ms, ok). list.append is atomic."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, str, int, float, bool]] = []
        self.errors: list[str] = []
        self.shed = 0  # 503 "busy" answers (load shedding): the request is sent again


def _conn(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def _push(conn: http.client.HTTPConnection, token: str, body: bytes) -> tuple[int, dict[str, Any]]:
    headers = {
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "Accept-Encoding": "gzip",
    }
    conn.request("POST", "/api/v1/sync/push", body=body, headers=headers)
    r = conn.getresponse()
    raw = r.read()
    if r.getheader("Content-Encoding") == "gzip":
        raw = gzip.decompress(raw)
    return r.status, json.loads(raw) if r.status == 200 else {"raw": raw[:200].decode(errors="replace")}


def scanner(
    port: int, device: str, token: str, own: list[str], batch: int, stop: threading.Event, log: Log
) -> None:
    rng = random.Random(device)
    seq = itertools.count(1)
    kinds = ["sorted"] * 6 + ["loaded_out", "station_in"]
    conn = _conn(port)
    kind = f"scan{batch}"
    while not stop.is_set():
        body = _body(
            [
                _op(
                    device,
                    next(seq),
                    "scan",
                    {"tracking_no": rng.choice(own), "scan_kind": rng.choice(kinds)},
                )
                for _ in range(batch)
            ]
        )
        t0 = time.perf_counter()
        try:
            status, data = _push(conn, token, body)
        except OSError as exc:
            log.errors.append(f"{kind}: {exc!r}")
            conn = _conn(port)
            continue
        ms = (time.perf_counter() - t0) * 1000
        if status == 503:  # shed under load: counted, and the scanner pauses as the app does
            log.shed += 1
            stop.wait(1.0)
            continue
        applied = sum(1 for r in data.get("results", []) if r.get("outcome") == "applied")
        good = status == 200 and applied == batch
        if not good:
            log.errors.append(f"{kind}: HTTP {status} applied {applied}/{batch} {str(data)[:200]}")
        log.rows.append((time.time(), kind, applied, ms, good))


def courier(port: int, device: str, token: str, jobs: list[int], stop: threading.Event, log: Log) -> None:
    """One courier working through their jobs, pushing what they just did (1–3 ops) each time."""
    rng = random.Random(device)
    seq = itertools.count(1)
    conn = _conn(port)
    pending: list[dict[str, Any]] = []
    job_iter = iter(jobs)
    while not stop.is_set():
        if not pending:
            job_id = next(job_iter, None)
            if job_id is None:
                log.errors.append(f"{device}: ran out of jobs (raise --jobs-per-courier)")
                return
            pending = [
                _op(device, next(seq), "start", {"job_id": job_id}),
                _op(device, next(seq), "arrive", {"job_id": job_id, "lat": 30.2, "lng": 120.1}),
                _op(
                    device,
                    next(seq),
                    "deliver",
                    {"job_id": job_id, "proof": {**PROOF, "media_sha256": [f"{rng.getrandbits(256):064x}"]}},
                )
                if rng.random() < 0.85
                else _op(
                    device,
                    next(seq),
                    "fail",
                    {"job_id": job_id, "reason_code": "not_home", "next_step": {"kind": "retry"}},
                ),
            ]
        n = rng.randint(1, 3)
        ops, pending = pending[:n], pending[n:]
        body = _body(ops)
        t0 = time.perf_counter()
        try:
            status, data = _push(conn, token, body)
        except OSError as exc:
            log.errors.append(f"transition: {exc!r}")
            conn = _conn(port)
            continue
        ms = (time.perf_counter() - t0) * 1000
        if status == 503:  # shed: the app sends the same ops again after a pause; so does the bench
            log.shed += 1
            pending = ops + pending
            stop.wait(1.0)
            continue
        applied = sum(1 for r in data.get("results", []) if r.get("outcome") == "applied")
        good = status == 200 and applied == len(ops)
        if not good:
            log.errors.append(f"transition: HTTP {status} applied {applied}/{len(ops)} {str(data)[:300]}")
        log.rows.append((time.time(), "transition", applied, ms, good))


def puller(port: int, token: str, stop: threading.Event, log: Log, interval_s: float) -> None:
    """A courier's app pulling its changes from its last cursor, every ``interval_s``."""
    conn = _conn(port)
    headers = {"Authorization": f"Token {token}", "Accept-Encoding": "gzip"}
    cursor: int | None = None
    while not stop.is_set():
        path = "/api/v1/sync/pull" + ("" if cursor is None else f"?cursor={cursor}")
        t0 = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            raw = r.read()
        except OSError as exc:
            log.errors.append(f"pull: {exc!r}")
            conn = _conn(port)
            continue
        ms = (time.perf_counter() - t0) * 1000
        if r.status == 200:
            data = json.loads(gzip.decompress(raw) if r.getheader("Content-Encoding") == "gzip" else raw)
            cursor = data["cursor"]
        else:
            log.errors.append(f"pull: HTTP {r.status}")
        log.rows.append(
            (time.time(), "pull" if cursor is not None else "pull_snapshot", 1, ms, r.status == 200)
        )
        stop.wait(interval_s)


# --- CPU --------------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str]:
    s = Path(f"/proc/{pid}/stat").read_text()
    return s[s.rfind(")") + 2 :].split()


def proc_cpu(pid: int, *, children: bool = False, reaped: bool = False) -> float:
    """CPU seconds of ``pid`` (and its live children; and its exited, reaped ones)."""
    total = 0.0
    try:
        f = _stat(pid)
        total += (int(f[11]) + int(f[12]) + ((int(f[13]) + int(f[14])) if reaped else 0)) / _TICK
    except OSError:
        return 0.0
    if children:
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != pid:
                try:
                    c = _stat(int(entry))
                except OSError:
                    continue
                if int(c[1]) == pid:
                    total += (int(c[11]) + int(c[12])) / _TICK
    return total


def postgres_cpu(postmaster: int | None) -> float:
    if postmaster is not None:
        return proc_cpu(postmaster, children=True, reaped=True)
    from bench.sync import cpu_seconds

    return cpu_seconds([])[1]


def postmaster_pid(database_url: str) -> int | None:
    """The postmaster of the server behind ``database_url`` (the bench cluster's, or the machine's
    when its data directory is readable here): with it the CPU of backends that exited during the
    run is counted too (a committer's connections close before the last reading)."""
    from bench.pg_private import DEFAULT_DIR, DEFAULT_PORT

    data_dir = DEFAULT_DIR if f":{DEFAULT_PORT}/" in database_url else None
    if data_dir is None:
        try:
            with psycopg.connect(database_url, connect_timeout=5) as conn:
                row = conn.execute("SHOW data_directory").fetchone()
            data_dir = row[0] if row else None
        except psycopg.Error:
            return None
    try:
        return int(Path(str(data_dir), "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError):
        return None


def start_celery(env: dict[str, str], log_path: str) -> subprocess.Popen[bytes]:
    celery = str(Path(sys.executable).parent / "celery")
    # --purge: an earlier run's leftover tasks (for ids this run's data reuses) would run first.
    cmd = [celery, "-A", "backend", "worker", "--loglevel=WARNING", "--concurrency=1", "--purge"]
    cmd += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"syncsus-{os.getpid()}@%h"]
    log = open(log_path, "ab")  # noqa: SIM115 - the child owns it
    proc = subprocess.Popen(cmd, cwd=Path(__file__).resolve().parents[1], env=env, stdout=log, stderr=log)
    log.close()
    time.sleep(3)
    if proc.poll() is not None:
        raise RuntimeError(f"celery exited with {proc.returncode}; see {log_path}")
    return proc


def _p(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * q))]


def run(args: argparse.Namespace, emit: Any) -> bool:
    """The whole sustained bench; True when every target is met."""
    ok = True

    def check(name: str, value: float, target: float, *, at_most: bool = False, **extra: Any) -> None:
        nonlocal ok
        met = value <= target if at_most else value >= target
        ok = ok and met
        emit(bench=name, value=round(value, 2), target=target, met=met, **extra)

    url = os.environ["DATABASE_URL"]
    redis = os.environ.get("REDIS_URL", "")
    os.environ["REDIS_URL"] = ""  # this process only builds the world
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import sync_preload
    from bench import sync_sustained_world as W
    from bench.syncserver import ServerPool, database_url

    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute("SHOW autovacuum")
        autovacuum = cur.fetchone()[0]  # type: ignore[index]
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'shipments_trackingevent'")
        events = int(cur.fetchone()[0])  # type: ignore[index]
        # Exact: reltuples is the planner's estimate (1,999,836 for the 2,000,000 preloaded).
        cur.execute("SELECT count(*) FROM shipments_shipment")
        shipments = int(cur.fetchone()[0])  # type: ignore[index]
    plan = sync_preload.preload_info(url)
    if plan is not None:  # the estimate may fall a little short of the rows the preload wrote
        events = max(events, int(plan["events"]))
    preloaded = events >= args.min_events and shipments >= args.min_shipments
    emit(
        bench="sustained_setup",
        autovacuum=autovacuum,
        events_rows=events,
        shipment_rows=shipments,
        preload=plan,
        preload_met=preloaded,
        loadavg=Path("/proc/loadavg").read_text().split()[:3],
    )
    ok = ok and autovacuum == "on" and preloaded
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_preload') IS NOT NULL")
        started = cur.fetchone()[0]  # type: ignore[index]
    if started and plan is None:
        # Mid-preload the big tables have no secondary indexes: figures would mean nothing.
        emit(
            bench="sustained_refused",
            reason="the preload is unfinished: run bench/sync_preload.py to the end",
        )
        return False
    jobs_per_courier = args.jobs_per_courier or max(
        20, int(TARGETS["transition_ops_per_s"] * 2 * args.minutes * 60 / 3 / args.couriers)
    )
    t0 = time.perf_counter()
    world = W.build(
        scan_devices=args.scan_devices,
        scan_shipments=args.scan_shipments,
        couriers=args.couriers,
        jobs_per_courier=jobs_per_courier,
    )
    emit(
        bench="sustained_world", seconds=round(time.perf_counter() - t0, 1), jobs_per_courier=jobs_per_courier
    )
    server_env = {
        "REDIS_URL": redis,
        "DEBUG": "False",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
        "DATABASE_POOL_MAX": str(args.pool),
    }
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    pool = ServerPool(
        database_url=database_url(connection.settings_dict),
        workers=args.workers,
        log_path=args.log,
        extra_env=server_env,
    )
    celery_env = {**pool.env}
    celery = start_celery(celery_env, args.log) if redis else None
    connection.close()
    try:
        pool.start(timeout_s=180)
    except RuntimeError:
        pool.stop()
        if celery is not None:
            celery.kill()
        raise
    postmaster = postmaster_pid(url)
    stop = threading.Event()
    log = Log()
    threads: list[threading.Thread] = []
    ports = pool.ports
    n_dev = len(world.scan_tokens)
    for i, (device, token) in enumerate(world.scan_tokens):
        own = world.scan_tracking[i::n_dev]
        batch = 500 if i % 4 == 3 else 100  # a quarter of the scanners are belts sending 500
        threads.append(
            threading.Thread(
                target=scanner,
                args=(ports[i % len(ports)], device, token, own, batch, stop, log),
                daemon=True,
            )
        )
    for i, (device, token, jobs) in enumerate(world.couriers):
        threads.append(
            threading.Thread(
                target=courier, args=(ports[i % len(ports)], device, token, jobs, stop, log), daemon=True
            )
        )
    for i, (_, token, _) in enumerate(world.couriers[: args.pullers]):
        threads.append(
            threading.Thread(
                target=puller, args=(ports[i % len(ports)], token, stop, log, args.pull_interval), daemon=True
            )
        )

    def cpu_now() -> dict[str, float]:
        return {
            "server": sum(proc_cpu(p) for p in pool.pids),
            "celery": proc_cpu(celery.pid, children=True) if celery else 0.0,
            "postgres": postgres_cpu(postmaster),
            "generator": proc_cpu(os.getpid()),
        }

    def wal_lsn() -> int:
        """Bytes of WAL written so far: the scaling note's per-op WAL figure (docs/scaling.md)."""
        with connection.cursor() as cur:
            cur.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
            return int(cur.fetchone()[0])  # type: ignore[index]

    wal0 = wal_lsn()
    cpu0 = cpu_now()
    start = time.time()
    for t in threads:
        t.start()
    minute_cpu: list[dict[str, float]] = []
    try:
        for m in range(args.minutes):
            stop.wait(max(0.0, start + 60 * (m + 1) - time.time()))
            minute_cpu.append(cpu_now())
            rows = [r for r in log.rows if start + 60 * m <= r[0] < start + 60 * (m + 1)]
            emit(
                bench="sustained_minute",
                minute=m + 1,
                scan_events_per_s=round(sum(r[2] for r in rows if r[1].startswith("scan")) / 60, 1),
                transition_ops_per_s=round(sum(r[2] for r in rows if r[1] == "transition") / 60, 1),
                pull_p99_ms=round(_p([r[3] for r in rows if r[1] == "pull"], 0.99), 1),
                errors=len(log.errors),
                loadavg=Path("/proc/loadavg").read_text().split()[0],
            )
    finally:
        stop.set()
        for t in threads:
            t.join(70)
        cpu1 = cpu_now()
        wal1 = wal_lsn()
        connection.close()
        pool.stop()
        if celery is not None:
            celery.terminate()
            try:
                celery.wait(20)
            except subprocess.TimeoutExpired:
                celery.kill()
    end = start + 60 * args.minutes
    rows = [r for r in log.rows if start <= r[0] < end]
    seconds = 60.0 * args.minutes
    scans = sum(r[2] for r in rows if r[1].startswith("scan"))
    transitions = sum(r[2] for r in rows if r[1] == "transition")
    pulls = [r[3] for r in rows if r[1] == "pull"]
    ops = scans + transitions
    used = {k: cpu1[k] - cpu0[k] for k in cpu0}
    cpu_per_op = {f"{k}_cpu_us_per_op": round(v * 1e6 / max(ops, 1), 1) for k, v in used.items()}
    cpu_per_op["wal_bytes_per_op"] = round((wal1 - wal0) / max(ops, 1), 1)
    cpu_per_op["postgres_cpu_scope"] = (
        "the server's postmaster and its children, exited ones included"
        if postmaster
        else "postgres processes alive at both readings"
    )  # type: ignore[assignment]
    per_minute = []
    for m in range(args.minutes):
        mr = [r for r in rows if start + 60 * m <= r[0] < start + 60 * (m + 1)]
        per_minute.append(
            (sum(r[2] for r in mr if r[1].startswith("scan")), sum(r[2] for r in mr if r[1] == "transition"))
        )
    scan_ratio = min(p[0] for p in per_minute) / max(per_minute[0][0], 1)
    tr_ratio = min(p[1] for p in per_minute) / max(per_minute[0][1], 1)
    check(
        "sustained_scan_ingest",
        scans / seconds,
        TARGETS["scan_events_per_s"],
        unit="scan events/s",
        minutes=args.minutes,
        events=scans,
        **cpu_per_op,
    )
    check(
        "sustained_scan_min_minute_ratio",
        scan_ratio,
        TARGETS["min_minute_ratio"],
        unit="worst minute / first minute",
    )
    check(
        "sustained_transitions",
        transitions / seconds,
        TARGETS["transition_ops_per_s"],
        unit="ops/s",
        ops=transitions,
    )
    check(
        "sustained_transition_min_minute_ratio",
        tr_ratio,
        TARGETS["min_minute_ratio"],
        unit="worst minute / first minute",
    )
    check(
        "sustained_pull_p99_during_ingest",
        _p(pulls, 0.99),
        TARGETS["pull_p99_ms"],
        at_most=True,
        unit="ms p99",
        p50_ms=round(_p(pulls, 0.5), 1),
        pulls=len(pulls),
    )
    for kind in ("scan100", "scan500", "transition"):
        lat = [r[3] for r in rows if r[1] == kind]
        emit(
            bench=f"sustained_push_latency_{kind}",
            p50_ms=round(_p(lat, 0.5), 1),
            p99_ms=round(_p(lat, 0.99), 1),
            pushes=len(lat),
        )
    emit(
        bench="sustained_cpu",
        seconds_used=({k: round(v, 1) for k, v in used.items()}),
        share_of_2_cores=({k: round(v / seconds / 2, 3) for k, v in used.items()}),
        **cpu_per_op,
    )
    failed = len(log.errors)
    emit(bench="sustained_errors", count=failed, shed_503=log.shed, first=log.errors[:5])
    ok = ok and failed == 0 and log.shed == 0
    return ok
