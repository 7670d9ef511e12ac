"""Sync benchmarks, end to end over HTTP against daphne workers on PostgreSQL: one JSON line per
figure; exit 1 when a target is missed (the figures are printed either way).

    .venv/bin/python bench/sync.py [--workers 3] [--scan-devices 10] [--scan-batches 10]
        [--transition-devices 10] [--offline-ops 5000] [--pool 4] [--no-redis]
    .venv/bin/python bench/sync.py --sustained [--minutes 10] ...   (see bench/sync_sustained.py)

Needs PostgreSQL at DATABASE_URL (migrated here). Request bodies are built and compressed before
the clock starts, so the figures measure the server, not the load generator sharing its 2 cores.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.report import emit, ensure_database

TARGETS = {
    "scan_events_per_s": 20_000,
    "replay_events_per_s": 50_000,
    "transition_ops_per_s": 1_000,
    "pull_p99_ms": 50,
    "bytes_per_op": 200,
    "offline_drain_s": 10,
}
ok = True


def check(name: str, value: float, target: float, *, at_most: bool = False, **extra: Any) -> None:
    global ok
    met = value <= target if at_most else value >= target
    ok = ok and met
    emit(bench=name, value=round(value, 2), target=target, met=met, **extra)


class Client:
    """One device's keep-alive connection sending pre-built bodies; counts bytes both ways."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
            "Accept-Encoding": "gzip",
        }
        self.sent = self.received = 0

    def post(self, path: str, body: bytes) -> dict[str, Any]:
        self.conn.request("POST", path, body=body, headers=self.headers)
        response = self.conn.getresponse()
        raw = response.read()
        self.sent += (
            len(body) + len(path) + 30 + sum(len(k) + len(v) + 4 for k, v in self.headers.items()) + 40
        )
        self.received += len(raw) + 17 + sum(len(k) + len(v) + 4 for k, v in response.getheaders())
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status} {raw[:300]!r}")
        if response.getheader("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        return json.loads(raw)


def batch_body(device_id: str, ops: list[dict[str, Any]]) -> bytes:
    body = {"ops": ops, "sent_at": datetime.now(UTC).isoformat()}
    return gzip.compress(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode(), 6)


def run_devices(
    ports: list[int], work: list[tuple[str, list[bytes]]]
) -> tuple[float, list[dict[str, int]], int, int]:
    """Each (token, bodies) on its own thread and connection, the connections spread round-robin over
    the workers' ports (see ServerPool); returns wall time, outcome counts, bytes."""
    barrier = threading.Barrier(len(work) + 1)
    counts: list[dict[str, int]] = [{} for _ in work]
    clients = [Client(ports[i % len(ports)], token) for i, (token, _) in enumerate(work)]
    errors: list[BaseException] = []

    def device(i: int) -> None:
        barrier.wait()
        try:
            for body in work[i][1]:
                for r in clients[i].post("/api/v1/sync/push", body)["results"]:
                    counts[i][r["outcome"]] = counts[i].get(r["outcome"], 0) + 1
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=device, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return wall, counts, sum(c.sent for c in clients), sum(c.received for c in clients)


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> tuple[float, float]:
    """CPU seconds used so far by these processes, and by every PostgreSQL process on the machine.

    CPU per op is what a loaded 2-core machine cannot distort much, unlike ops per second.
    """

    def used(stat: str) -> float:
        fields = stat[stat.rfind(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / _TICK

    server = db = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(entry) in pids:
            server += used(stat)
        elif stat[stat.find("(") + 1 : stat.rfind(")")] == "postgres":
            db += used(stat)
    return server, db


class CpuMeter:
    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.start = cpu_seconds(pids)

    def per_op_us(self, ops: int) -> dict[str, float]:
        server, db = cpu_seconds(self.pids)
        return {
            "server_cpu_us_per_op": round((server - self.start[0]) * 1e6 / max(ops, 1), 1),
            "db_cpu_us_per_op": round((db - self.start[1]) * 1e6 / max(ops, 1), 1),
        }


def total(counts: list[dict[str, int]], outcome: str) -> int:
    return sum(c.get(outcome, 0) for c in counts)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=3, help="daphne processes (one GIL each)")
    parser.add_argument("--scan-devices", type=int, default=10)
    parser.add_argument("--scan-batches", type=int, default=10, help="batches of 500 per device")
    parser.add_argument("--transition-devices", type=int, default=10)
    parser.add_argument("--jobs-per-courier", type=int, default=100)
    parser.add_argument("--offline-ops", type=int, default=5000)
    parser.add_argument("--pulls", type=int, default=200)
    parser.add_argument("--pool", type=int, default=4, help="DATABASE_POOL_MAX per server worker (0: none)")
    parser.add_argument("--no-redis", action="store_true", help="server publishes to the in-process layer")
    parser.add_argument("--only", default="scans,transitions,pull,offline", help="comma-separated subset")
    parser.add_argument("--log", default="var/bench_sync_server.log")
    sustained = parser.add_argument_group("--sustained (bench/sync_sustained.py)")
    sustained.add_argument(
        "--sustained", action="store_true", help="minutes of mixed load on preloaded tables"
    )
    sustained.add_argument("--minutes", type=int, default=10)
    sustained.add_argument("--couriers", type=int, default=300)
    sustained.add_argument("--scan-shipments", type=int, default=20_000)
    sustained.add_argument("--pullers", type=int, default=6)
    sustained.add_argument(
        "--pull-interval", type=float, default=0.2, help="seconds between a puller's pulls"
    )
    sustained.add_argument(
        "--min-events", type=int, default=20_000_000, help="preloaded tracking events required"
    )
    sustained.add_argument(
        "--min-shipments", type=int, default=2_000_000, help="preloaded shipments required"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("DATABASE_URL must point at PostgreSQL", file=sys.stderr)
        return 2
    ensure_database(os.environ["DATABASE_URL"])
    if args.sustained:
        from bench import sync_sustained

        if "--scan-devices" not in sys.argv:
            args.scan_devices = 16
        if "--jobs-per-courier" not in sys.argv:
            args.jobs_per_courier = 0  # sized from --minutes
        return 0 if sync_sustained.run(args, emit) else 1
    # A pooled connection per request instead of a fresh PostgreSQL login (10–15 ms) each time.
    server_env = {
        "REDIS_URL": "" if args.no_redis else os.environ.get("REDIS_URL", ""),
        "DEBUG": "False",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
        "DATABASE_POOL_MAX": str(args.pool),
    }
    os.environ["REDIS_URL"] = ""  # this process only builds the world: no live publishing needed
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from bench import sync_bench_world as W
    from bench.syncserver import ServerPool, database_url

    world = W.build(
        scan_devices=args.scan_devices,
        transition_couriers=args.transition_devices,
        jobs_per_courier=args.jobs_per_courier,
    )
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    pool = ServerPool(
        database_url=database_url(connection.settings_dict),
        workers=args.workers,
        log_path=args.log,
        extra_env=server_env,
    )
    pool.start()
    emit(
        bench="setup",
        workers=args.workers,
        pool=args.pool,
        redis=bool(server_env["REDIS_URL"]),
        port=pool.port,
    )
    try:
        only = set(args.only.split(","))
        for name, run in (
            ("scans", bench_scans),
            ("transitions", bench_transitions),
            ("pull", bench_pull),
            ("offline", bench_offline_day),
        ):
            if name in only:
                run(pool, world, args)
    finally:
        pool.stop()
    return 0 if ok else 1


def bench_scans(pool: Any, world: Any, args: argparse.Namespace) -> None:
    from bench import sync_bench_world as W

    devices = world.scan_tokens
    work = [
        (
            token,
            [
                batch_body(device, ops)
                for ops in W.scan_batches(world, device, args.scan_batches, i, len(devices))
            ],
        )
        for i, (device, token) in enumerate(devices)
    ]
    n = args.scan_devices * args.scan_batches * 500
    rows = W.row_counts()
    cpu = CpuMeter(pool.pids)
    wall, counts, sent, received = run_devices(pool.ports, work)
    applied = total(counts, "applied")
    check(
        "scan_ingest",
        applied / wall,
        TARGETS["scan_events_per_s"],
        unit="scan events/s",
        scans=n,
        applied=applied,
        seconds=round(wall, 2),
        new_event_rows=W.row_counts()["events"] - rows["events"],
        **cpu.per_op_us(n),
    )
    check(
        "scan_bytes_per_op",
        (sent + received) / n,
        TARGETS["bytes_per_op"],
        at_most=True,
        unit="bytes/op",
        request=round(sent / n, 1),
        response=round(received / n, 1),
    )
    before = W.row_counts()
    cpu = CpuMeter(pool.pids)
    wall, counts, _, _ = run_devices(pool.ports, work)
    extra = {k: W.row_counts()[k] - v for k, v in before.items()}
    check(
        "scan_replay",
        total(counts, "duplicate") / wall,
        TARGETS["replay_events_per_s"],
        unit="events/s",
        duplicates=total(counts, "duplicate"),
        seconds=round(wall, 2),
        extra_rows=extra,
        **cpu.per_op_us(n),
    )
    global ok
    ok = ok and applied == n and total(counts, "duplicate") == n and not any(extra.values())


def bench_transitions(pool: Any, world: Any, args: argparse.Namespace) -> None:
    from bench import sync_bench_world as W

    work = [
        (token, [batch_body(device, ops) for ops in W.transition_batches(jobs, device)])
        for device, token, jobs in world.transition_devices
    ]
    n = sum(len(json.loads(gzip.decompress(b))["ops"]) for _, bodies in work for b in bodies)
    cpu = CpuMeter(pool.pids)
    wall, counts, sent, received = run_devices(pool.ports, work)
    applied = total(counts, "applied")
    check(
        "transition_ingest",
        applied / wall,
        TARGETS["transition_ops_per_s"],
        unit="ops/s",
        ops=n,
        applied=applied,
        rejected=total(counts, "rejected"),
        seconds=round(wall, 2),
        **cpu.per_op_us(n),
    )
    check(
        "transition_bytes_per_op",
        (sent + received) / n,
        TARGETS["bytes_per_op"],
        at_most=True,
        unit="bytes/op",
        request=round(sent / n, 1),
        response=round(received / n, 1),
    )
    global ok
    ok = ok and applied == n


def _pull_ms(port: int, token: str, n: int, cursor: int | None) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Accept-Encoding": "gzip"}
    path = "/api/v1/sync/pull" + ("" if cursor is None else f"?cursor={cursor}")
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status == 200
    conn.close()
    return sorted(times)


def bench_pull(pool: Any, world: Any, args: argparse.Namespace) -> None:
    from bench import sync_bench_world as W

    for port in pool.ports:  # warm every worker
        _pull_ms(port, world.pull_token, 20, None)
    queries = W.pull_query_counts(world)
    for name, cursor in (("pull_snapshot_300_jobs", None), ("pull_incremental_300_jobs", W.head())):
        times = _pull_ms(pool.port, world.pull_token, args.pulls, cursor)
        p50, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
        check(
            name,
            p99,
            TARGETS["pull_p99_ms"],
            at_most=True,
            unit="ms p99",
            p50_ms=round(p50, 2),
            pulls=len(times),
        )
    global ok
    same = (
        queries["snapshot_300"] == queries["snapshot_30"]
        and queries["incremental_300"] == queries["incremental_30"]
    )
    ok = ok and same
    emit(bench="pull_query_count", constant=same, **queries)


def bench_offline_day(pool: Any, world: Any, args: argparse.Namespace) -> None:
    from bench import sync_bench_world as W
    from mobile.offline import outbox
    from mobile.offline.store import Store
    from mobile.offline.sync import SyncEngine
    from mobile.offline.transport import HttpTransport

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(str(Path(tmp) / "offline.sqlite3"), device_id=world.offline_device)
        transport = HttpTransport(f"http://127.0.0.1:{pool.port}", world.offline_token, timeout_s=30)
        engine = SyncEngine(store, transport, batch_size=500)
        engine.sync_once()
        W.record_offline_day(store, args.offline_ops, random.Random(5))
        recorded = outbox.pending_count(store)
        sent0, received0 = transport.bytes_sent, transport.bytes_received
        t0 = time.perf_counter()
        report = engine.sync_once()
        wall = time.perf_counter() - t0
        check(
            "offline_day_drain",
            wall,
            TARGETS["offline_drain_s"],
            at_most=True,
            unit="s",
            ops=recorded,
            pushed=report.pushed,
            rejected=report.rejected,
            attachments=report.uploaded,
            pending_after=outbox.pending_count(store),
            bytes_per_op=round(
                (transport.bytes_sent - sent0 + transport.bytes_received - received0) / recorded, 1
            ),
        )
        global ok
        ok = ok and report.rejected == 0 and outbox.pending_count(store) == 0
        transport.close()
        store.close()


if __name__ == "__main__":
    sys.exit(main())
