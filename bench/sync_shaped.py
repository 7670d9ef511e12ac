"""An offline day drained over a bad mobile link: 150 ms RTT, 2 Mbit/s, 1 % loss.

    .venv/bin/python bench/sync_shaped.py [--offline-ops 5000] [--rtt-ms 150] [--rate-mbit 2] [--loss 1]

The handheld's real sync core (``mobile.offline``: Store, Actions, SyncEngine with the app's
batch size and timeout) runs in a child process inside a network namespace joined to this one
by a veth pair; the server (daphne workers on PostgreSQL) runs outside. The day is recorded
offline through the same ``Actions`` the screens call, every delivery with a 100–300 KB photo,
then drained while the courier keeps scanning: each scan's time in the core (the op checked and
stored with fsync while the sync thread pushes) is the app's scan feedback.

The link is shaped in the kernel where it can be:
- ``tc netem delay rate loss`` on both veth ends when the kernel has ``sch_netem``;
- otherwise (``CONFIG_NET_SCH_NETEM`` is not set on the reference machine's kernel) the rate is
  ``tc tbf`` on both ends, the loss an nftables ``numgen random`` drop in the namespace (each
  direction), and the delay a userspace relay adding RTT/2 to every chunk each way. That relay
  ends the TCP connection, so losses are recovered over a short-RTT hop: kinder than a real
  link's recovery. The output says which shaping ran (``shaping``).

Figures (exit 1 on a miss): ``ops_drained_s`` ≤ 60 (every op acknowledged), scan feedback p99
and max ≤ 100 ms during the drain, 0 rejected, nothing left pending; the photos' upload time is
printed beside the link's floor (their bytes over the rate: 2 Mbit/s is 250 KB/s, so a day of
~250 photos of 200 KB needs ≥ 200 s whatever the code does), with no target of its own.
Needs root (``ip netns``); without it, it says what failed and exits 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.report import emit, ensure_database  # noqa: E402

TARGETS = {"ops_drained_s": 60, "scan_feedback_ms": 100}
PROOF = {"method": "photo", "recipient_relation": "self", "recipient_name": "李四"}


def sh(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, check=check)


# --- the link ---------------------------------------------------------------------------------------


class Link:
    """A namespace and a veth pair; shaped with netem, or tbf + nftables + the delay relay."""

    def __init__(self, rtt_ms: float, rate_mbit: float, loss_pct: float) -> None:
        tag = os.getpid() % 100000
        self.ns, self.host_if, self.ns_if = f"prsync{tag}", f"prh{tag}", f"prn{tag}"
        # A /30 of its own per process, so two links (a bench and a test) can exist at once.
        self.host_ip, self.ns_ip = f"10.231.{tag % 250}.1", f"10.231.{tag % 250}.2"
        self.rtt_ms, self.rate_mbit, self.loss_pct = rtt_ms, rate_mbit, loss_pct
        self.shaping = ""

    def up(self) -> None:
        sh("ip", "netns", "add", self.ns)
        sh("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
        sh("ip", "link", "set", self.ns_if, "netns", self.ns)
        sh("ip", "addr", "add", f"{self.host_ip}/30", "dev", self.host_if)
        sh("ip", "link", "set", self.host_if, "up")
        nse = ["ip", "netns", "exec", self.ns]
        sh(*nse, "ip", "addr", "add", f"{self.ns_ip}/30", "dev", self.ns_if)
        sh(*nse, "ip", "link", "set", self.ns_if, "up")
        sh(*nse, "ip", "link", "set", "lo", "up")
        half = f"{self.rtt_ms / 2:g}ms"
        rate = f"{self.rate_mbit:g}mbit"
        netem = ["netem", "delay", half, "rate", rate, "loss", f"{self.loss_pct:g}%"]
        probe = sh("tc", "qdisc", "add", "dev", self.host_if, "root", *netem, check=False)
        if probe.returncode == 0:
            sh(*nse, "tc", "qdisc", "add", "dev", self.ns_if, "root", *netem)
            self.shaping = f"netem delay {half} rate {rate} loss {self.loss_pct:g}% on both ends"
            return
        tbf = ["tbf", "rate", rate, "burst", "16kbit", "latency", "1s"]
        sh("tc", "qdisc", "add", "dev", self.host_if, "root", *tbf)
        sh(*nse, "tc", "qdisc", "add", "dev", self.ns_if, "root", *tbf)
        if shutil.which("nft") is None:
            raise RuntimeError("no sch_netem and no nft binary for the loss (apt-get install -y nftables)")
        # One percent of the packets in each direction, drawn by the kernel per packet.
        ratio = max(1, round(self.loss_pct * 100))
        rules = (
            "table inet prbench {\n"
            f"  chain out {{ type filter hook output priority 0; oifname {self.ns_if} numgen random mod 10000 < {ratio} drop; }}\n"
            f"  chain in {{ type filter hook input priority 0; iifname {self.ns_if} numgen random mod 10000 < {ratio} drop; }}\n"
            "}\n"
        )
        subprocess.run([*nse, "nft", "-f", "-"], input=rules, text=True, check=True, capture_output=True)
        self.shaping = (
            f"tbf rate {rate} both ends; nft random drop {self.loss_pct:g}% each direction; "
            f"+{half} each way in a userspace relay (no sch_netem: {probe.stderr.strip()})"
        )

    @property
    def relay_delay_s(self) -> float:
        return 0.0 if self.shaping.startswith("netem") else self.rtt_ms / 2000

    def down(self) -> None:
        sh("ip", "link", "del", self.host_if, check=False)
        sh("ip", "netns", "del", self.ns, check=False)


class DelayRelay:
    """``host:port`` (the veth's host side) → the server, every chunk held ``delay_s`` in each direction, in order."""

    def __init__(self, upstream_port: int, delay_s: float, host: str) -> None:
        self.upstream_port, self.delay_s, self.host = upstream_port, delay_s, host
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

            async def send() -> None:
                while True:
                    due, data = await queue.get()
                    if not data:
                        break
                    await asyncio.sleep(max(0.0, due - self.loop.time()))
                    writer.write(data)
                    await writer.drain()
                writer.close()

            sender = asyncio.ensure_future(send())
            try:
                while data := await reader.read(65536):
                    queue.put_nowait((self.loop.time() + self.delay_s, data))
            except OSError:
                pass
            queue.put_nowait((0.0, b""))
            await sender

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
            except OSError:
                writer.close()
                return
            await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer), return_exceptions=True)

        async def main() -> None:
            server = await asyncio.start_server(handle, self.host, 0)
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await server.serve_forever()

        self.loop.run_until_complete(main())


# --- the handheld (child process, inside the namespace) --------------------------------------------


def photo(rng: random.Random) -> bytes:
    """A JPEG-sized blob: a JPEG header and 100–300 KB of incompressible bytes (as a photo is)."""
    return b"\xff\xd8\xff\xe0" + rng.randbytes(rng.randint(100_000, 300_000))


def record_day(store: Any, n_ops: int, rng: random.Random) -> int:
    """``bench.sync_bench_world.record_offline_day`` with photos instead of 1.5 KB signatures."""
    from mobile.actions import Actions

    actions = Actions(store)
    jobs = [j for j in store.jobs() if j["status"] == "assigned"]
    per_job = max(0, (n_ops - 5 * len(jobs)) // max(1, len(jobs)))
    recorded = photos = 0
    for job in jobs:
        for _ in range(per_job):
            actions.record_location(30.2 + rng.random() / 50, 120.1 + rng.random() / 50, accuracy_m=6.0)
        actions.record_scan(job["shipment"]["tracking_no"], "sorted")
        actions.record_scan(job["shipment"]["tracking_no"], "loaded_out")
        actions.record_start(job["id"])
        actions.record_arrive(job["id"])
        if rng.random() < 0.85:
            actions.record_deliver(job["id"], PROOF, files=[(photo(rng), "image/jpeg")])
            photos += 1
        else:
            actions.record_fail(job["id"], "not_home", next_step={"kind": "retry"})
        recorded += per_job + 5
    for _ in range(n_ops - recorded):
        actions.record_location(30.2, 120.1)
    return photos


def client(args: argparse.Namespace) -> int:
    from mobile.actions import Actions
    from mobile.offline import outbox
    from mobile.offline.store import Store
    from mobile.offline.sync import SyncEngine, TransportError
    from mobile.offline.transport import HttpTransport

    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(str(Path(tmp) / "offline.sqlite3"), device_id=args.device)
        # The app's own transport timeout and batch size (mobile/core/config.py, SyncEngine).
        transport = HttpTransport(args.url, args.token, timeout_s=5.0)
        engine = SyncEngine(store, transport)
        t0 = time.perf_counter()
        engine.run(max_attempts=20)
        emit(bench="shaped_first_sync", seconds=round(time.perf_counter() - t0, 2), jobs=len(store.jobs()))
        photos = record_day(store, args.offline_ops, rng)
        recorded = outbox.pending_count(store)
        day_last_seq = int(store.db.execute("SELECT MAX(seq) FROM outbox").fetchone()[0])

        def day_pending() -> int:
            """The day's ops not yet answered (scans recorded during the drain come after them)."""
            row = store.db.execute(
                "SELECT COUNT(*) FROM outbox WHERE state = 'queued' AND seq <= ?", (day_last_seq,)
            ).fetchone()
            return int(row[0])

        photo_bytes = sum(len(d) for _, _, d in store.attachments_to_upload())
        numbers = [j["shipment"]["tracking_no"] for j in store.jobs()]
        done = threading.Event()
        drained_at: list[float] = []
        errors: list[str] = []
        rounds = 0

        def drain() -> None:
            nonlocal rounds
            while True:
                try:
                    report = engine.sync_once()
                except TransportError as exc:  # the app's loop backs off and tries again
                    errors.append(repr(exc)[:120])
                    time.sleep(engine.delay(min(len(errors), 4)))
                    continue
                rounds += 1
                if not drained_at and day_pending() == 0:
                    drained_at.append(time.perf_counter())
                if day_pending() == 0 and not store.attachments_to_upload():
                    break
                del report
            done.set()

        actions = Actions(store)
        feedback: list[float] = []
        start = time.perf_counter()
        threading.Thread(target=drain, daemon=True).start()
        while not done.is_set():
            if not drained_at and day_pending() == 0:
                drained_at.append(time.perf_counter())
            t = time.perf_counter()
            actions.record_scan(rng.choice(numbers), "sorted")  # the courier keeps working
            feedback.append((time.perf_counter() - t) * 1000)
            done.wait(0.3)
        end = time.perf_counter()
        feedback.sort()
        emit(
            bench="shaped_drain_client",
            ops=recorded,
            photos=photos,
            photo_mb=round(photo_bytes / 1e6, 1),
            ops_drained_s=round((drained_at[0] if drained_at else end) - start, 2),
            all_uploaded_s=round(end - start, 2),
            scans_during=len(feedback),
            feedback_p50_ms=round(statistics.median(feedback), 2) if feedback else None,
            feedback_p99_ms=round(feedback[min(len(feedback) - 1, int(len(feedback) * 0.99))], 2)
            if feedback
            else None,
            feedback_max_ms=round(feedback[-1], 2) if feedback else None,
            pending_after=day_pending(),
            rejected=len(outbox.rejected(store)),
            transport_errors=len(errors),
            sync_rounds=rounds,
        )
        store.close()
    return 0


# --- the parent -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--offline-ops", type=int, default=5000)
    parser.add_argument("--rtt-ms", type=float, default=150)
    parser.add_argument("--rate-mbit", type=float, default=2)
    parser.add_argument("--loss", type=float, default=1, help="percent of packets dropped, each direction")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log", default="var/bench_sync_shaped.log")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    parser.add_argument("--device", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        return client(args)
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("tc") is None:
        emit(bench="shaped_drain", skipped=True, reason="needs root and iproute2 (ip netns, tc)")
        return 2
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("DATABASE_URL must point at PostgreSQL", file=sys.stderr)
        return 2
    ensure_database(os.environ["DATABASE_URL"])
    redis = os.environ.get("REDIS_URL", "")
    os.environ["REDIS_URL"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench import sync_sustained_world as W
    from bench.syncserver import ServerPool, database_url

    call_command("migrate", verbosity=0)
    # One courier holding 300 jobs (set-based: see sync_sustained_world; job_assign one by one
    # re-plans the route after each, minutes of setup on a loaded machine).
    world = W.build(scan_devices=0, scan_shipments=0, couriers=1, jobs_per_courier=300)
    offline_device, offline_token, _ = world.couriers[0]
    Path(args.log).parent.mkdir(parents=True, exist_ok=True)
    link = Link(args.rtt_ms, args.rate_mbit, args.loss)
    try:
        link.up()
    except (subprocess.CalledProcessError, RuntimeError) as exc:
        detail = exc.stderr if isinstance(exc, subprocess.CalledProcessError) else str(exc)
        emit(bench="shaped_drain", skipped=True, reason=f"could not build the link: {exc} {detail}".strip())
        link.down()
        return 2
    pool = ServerPool(
        database_url=database_url(connection.settings_dict),
        workers=args.workers,
        log_path=args.log,
        extra_env={
            "REDIS_URL": redis,
            "DEBUG": "False",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_POOL_MAX": "4",
            # the handheld reaches the server at the veth address
            "ALLOWED_HOSTS": f"127.0.0.1,localhost,{link.host_ip}",
        },
    )
    ok = True
    try:
        pool.start(timeout_s=180)
        relay = DelayRelay(pool.port, link.relay_delay_s, link.host_ip)
        relay.start()
        emit(
            bench="shaped_setup",
            shaping=link.shaping,
            namespace=link.ns,
            loadavg=Path("/proc/loadavg").read_text().split()[:3],
        )
        child = subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                link.ns,
                sys.executable,
                __file__,
                "--client",
                "--url",
                f"http://{link.host_ip}:{relay.port}",
                "--token",
                offline_token,
                "--device",
                offline_device,
                "--offline-ops",
                str(args.offline_ops),
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=1800,
        )
        lines = [json.loads(line) for line in child.stdout.splitlines() if line.startswith("{")]
        for line in lines:
            emit(**line)
        result = next((x for x in lines if x.get("bench") == "shaped_drain_client"), None)
        if result is None:
            emit(bench="shaped_drain", error=child.stderr[-1500:])
            return 1
        floor = result["photo_mb"] * 1e6 * 8 / (args.rate_mbit * 1e6)
        for name, value, target in (
            ("shaped_ops_drained_s", result["ops_drained_s"], TARGETS["ops_drained_s"]),
            ("shaped_scan_feedback_p99_ms", result["feedback_p99_ms"], TARGETS["scan_feedback_ms"]),
            ("shaped_scan_feedback_max_ms", result["feedback_max_ms"], TARGETS["scan_feedback_ms"]),
        ):
            met = value is not None and value <= target
            ok = ok and met
            emit(bench=name, value=value, target=target, met=met, shaping=link.shaping)
        emit(
            bench="shaped_photos_uploaded_s",
            value=result["all_uploaded_s"],
            link_floor_s=round(floor, 1),
            photos=result["photos"],
            photo_mb=result["photo_mb"],
        )
        ok = ok and result["pending_after"] == 0 and not result.get("rejected")
    finally:
        pool.stop()
        link.down()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
