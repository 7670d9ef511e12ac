"""Simulated handhelds through random workdays, against a real server behind the fault proxy.

Used by tests/backend/sync/test_fault_injection.py (small) and bench/sync_faults.py (full size).
Django must be set up by the caller (the world is created and checked through the ORM); the server
under test is a separate daphne process on the same database, killed with SIGKILL mid-batch.
"""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from bench import fault_check
from bench.fault_model import Action, Handover, JobState, SimLog
from bench.faultproxy import KINDS, FaultProxy
from bench.syncserver import ROOT, ServerProcess
from mobile.actions import ActionError, Actions
from mobile.offline import outbox
from mobile.offline.store import Store
from mobile.offline.sync import SyncEngine, TransportError
from mobile.offline.transport import HttpTransport

EVENT_KINDS = frozenset({"scan", "accept", "start", "arrive", "deliver", "fail", "weigh"})
PROOF = {"method": "signature", "recipient_relation": "self", "recipient_name": "李四"}
PNG = b"\x89PNG\r\n\x1a\n"


@dataclass
class SimConfig:
    devices: int = 3
    ops: int = 200
    fault_rate: float = 0.3
    kills: int = 1
    seed: int = 0
    plan_each: int = 2  # faults of each kind forced at the start
    jobs_per_courier: int = 12
    timeout_s: float = 2.0
    stall_s: float = 2.5
    reassign_every_s: float = 0.4
    log_path: str | None = None
    precise_kills: int = 2  # server SIGKILLs placed after the op-id claim / after commit (alternating)
    handheld_kills: int = 2  # handheld processes killed mid-record / just after (alternating)
    pg_restarts: int = 0  # needs ``cluster`` (bench/pgcluster.py): the database under test is its own
    cluster: Any = None
    mutant: str = ""  # bench/faultserver.py MUTANTS: a planted bug the checker must flag
    bad_inputs: int = 2  # ops sent on purpose that must be refused with a known code


@dataclass
class Device:
    name: str
    courier_id: int
    store: Store
    engine: SyncEngine
    transport: HttpTransport
    rng: random.Random
    path: str = ""
    recorded: int = 0
    clock_at: datetime | None = None  # the last instant the sim's clock gave this handheld

    def clock(self) -> datetime:
        self.clock_at = datetime.now(UTC)
        return self.clock_at


@dataclass
class SimResult:
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        f = self.figures
        return (
            f["lost"] == 0
            and f["duplicated"] == 0
            and f["diverged"] == 0
            and f["diverged_devices"] == 0
            and f["unexplained"] == 0
        )


class World:
    """A station, a supervisor, couriers with one or two handhelds each, and their jobs."""

    def __init__(self, cfg: SimConfig, rng: random.Random) -> None:
        from backend.accounts.roles import principal_of
        from backend.accounts.services import token_issue
        from backend.couriers.models import Courier, DutyStatus, Station, Supervisor
        from backend.shipments.context import Ctx
        from backend.shipments.models import Job
        from backend.shipments.services import ShipmentInput, job_assign, scan, shipment_create

        tag = f"{cfg.seed % 10**6:06d}{random.SystemRandom().randrange(10**6):06d}"  # unique across runs
        self.station = Station.objects.create(
            code=f"S{tag}"[:16], name="模拟站", address="杭州市西湖区", lat=30.28, lng=120.13
        )
        boss = User.objects.create_user(f"sup{tag}")
        Supervisor.objects.create(user=boss, station=self.station, name="站长")
        self.staff = Ctx(actor=principal_of(User.objects.select_related("supervisor").get(pk=boss.pk)))
        n_couriers = max(1, round(cfg.devices * 0.8))
        self.couriers: list[Any] = []
        for i in range(n_couriers):
            user = User.objects.create_user(f"c{tag}{i}")
            self.couriers.append(
                Courier.objects.create(
                    user=user,
                    station=self.station,
                    employee_no=f"E{tag}{i}",
                    name=f"快递员{i}",
                    phone="+8613800138000",
                    duty_status=DutyStatus.ON_DUTY,
                )
            )
        self.tokens: list[tuple[str, int, str]] = []  # (device id, courier id, token)
        for d in range(cfg.devices):
            courier = self.couriers[d % n_couriers]
            device_id = f"sim-{tag}-{d}"
            _, key = token_issue(courier.user, device_id)
            self.tokens.append((device_id, courier.pk, key))
        self.tracking_nos: list[str] = []
        today = timezone.localdate()
        for courier in self.couriers:
            for j in range(cfg.jobs_per_courier):
                kind = "pickup" if j % 5 == 4 else "delivery"
                data = ShipmentInput.from_dict(
                    {
                        "kind": kind,
                        "sender_name": "张三",
                        "sender_phone": "13812345678",
                        "sender_address": f"文三路{j}号",
                        "recipient_name": "李四",
                        "recipient_phone": "13912345678",
                        "recipient_address": f"教工路{j}号",
                        "service_date": today,
                    }
                )
                job = shipment_create(station_id=self.station.pk, data=data, ctx=self.staff)
                if kind == "delivery":
                    scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=self.staff)
                job_assign(job_id=job.pk, courier_id=courier.pk, ctx=self.staff)
                self.tracking_nos.append(job.shipment.tracking_no)
        # The starting point of the model (the world is set up, not under test).
        self.initial: dict[int, JobState] = {}
        self.shipment_of: dict[int, int] = {}
        self.job_of_tracking: dict[str, int] = {}
        for j in Job.objects.filter(station=self.station).select_related("shipment"):
            self.initial[j.pk] = JobState(
                j.pk, j.kind, int(j.courier_id or 0), j.status, j.version, j.attempt_count, j.shipment.status
            )
            self.shipment_of[j.pk] = j.shipment_id
            self.job_of_tracking[j.shipment.tracking_no] = j.pk
        from backend.shipments.models import TrackingEvent

        self.setup_events = set(
            TrackingEvent.objects.filter(shipment_id__in=self.shipment_of.values()).values_list(
                "pk", flat=True
            )
        )


def _log(log: SimLog, d: Device, kind: str, op_id: str, **extra: Any) -> None:
    assert d.clock_at is not None
    log.add(Action(d.name, d.courier_id, kind, op_id, d.clock_at, d.recorded, **extra))


def _act(device: Device, actions: Actions, world: World, log: SimLog) -> bool:
    """One random action a courier could take now, judged on the handheld's own view; logged by the sim."""
    rng = device.rng
    roll = rng.random()
    where = {"lat": 30.2 + rng.random() / 10, "lng": 120.1 + rng.random() / 10}
    try:
        if roll < 0.15:
            tracking_no = rng.choice(world.tracking_nos)
            scan_kind = rng.choice(["sorted", "sorted", "loaded_out", "station_in"])
            op_id = actions.record_scan(tracking_no, scan_kind, where=where)
            _log(
                log,
                device,
                "scan",
                op_id,
                tracking_no=tracking_no,
                scan_kind=scan_kind,
                job_id=world.job_of_tracking[tracking_no],
            )
        elif roll < 0.22:
            op_id = actions.record_location(where["lat"], where["lng"], accuracy_m=8.0)
            _log(log, device, "location", op_id)
        elif roll < 0.26:
            jobs = device.store.jobs()
            if not jobs:
                return False
            job_id = rng.choice(jobs)["id"]
            op_id = actions.record_call(job_id, rng.randrange(0, 300), rng.choice(["answered", "no_answer"]))
            _log(log, device, "call_log", op_id, job_id=job_id)
        else:
            open_jobs = [
                j
                for j in device.store.jobs()
                if j["status"] in ("assigned", "accepted", "started", "arrived")
            ]
            if not open_jobs:
                return False
            job = rng.choice(open_jobs)
            kind, op_id, media = _advance(actions, job, rng, where)
            _log(log, device, kind, op_id, job_id=job["id"], media=media)
    except ActionError:
        return False
    return True


def _advance(
    actions: Actions, job: dict[str, Any], rng: random.Random, where: dict[str, float]
) -> tuple[str, str, dict[str, bytes]]:
    status = job["status"]
    if status in ("assigned", "accepted"):
        return "start", actions.record_start(job["id"], where=where), {}
    if job["kind"] == "pickup":
        pickup = {
            "measured_weight_g": rng.randrange(100, 20000),
            "weight_source": "scale",
            "scale_model": "SIM-1",
            "prohibited_items_absent": True,
        }
        return "weigh", actions.record_weigh(job["id"], pickup, where=where), {}
    if status == "started" and rng.random() < 0.4:
        return "arrive", actions.record_arrive(job["id"], where=where), {}
    if rng.random() < 0.8:
        files = [PNG + rng.randbytes(rng.randrange(200, 3000))]
        if rng.random() < 0.3:  # a photo too, sent in several chunks (mobile/offline/sync.py CHUNK)
            files.append(PNG + rng.randbytes(rng.randrange(300_000, 700_000)))
        op_id = actions.record_deliver(job["id"], PROOF, files=[(f, "image/png") for f in files], where=where)
        return "deliver", op_id, {hashlib.sha256(f).hexdigest(): f for f in files}
    op_id = actions.record_fail(
        job["id"],
        rng.choice(["not_home", "refused", "access_denied"]),
        next_step={"kind": "retry"},
        where=where,
    )
    return "fail", op_id, {}


def _bad_input(d: Device, log: SimLog) -> None:
    """An op the server must refuse, sent on purpose: a step on a job that does not exist."""
    job_id = 2_000_000_000 + d.rng.randrange(1000)
    op_id = outbox.append(d.store, kind="start", payload={"job_id": job_id}, event_at=d.clock())
    _log(log, d, "start", op_id, job_id=job_id, bad="not_found")


def _handheld_kill(d: Device, log: SimLog, point: str, tmp: str) -> bool:
    """Record a step in a separate handheld process that is SIGKILLed ``point`` (bench/handheld_kill.py)."""
    jobs = d.store.jobs()
    open_jobs = [j for j in jobs if j["status"] in ("assigned", "accepted", "started")]
    if not jobs:
        return False
    job = d.rng.choice(open_jobs or jobs)
    kind = {"assigned": "start", "accepted": "start", "started": "arrive"}.get(job["status"], "call_log")
    out = str(Path(tmp) / f"kill-{uuid.uuid4().hex}")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.handheld_kill", d.path, d.name, kind, str(job["id"]), point, out],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    if proc.returncode != -signal.SIGKILL or not Path(out).exists():
        raise RuntimeError(f"handheld kill did not happen: {proc.returncode} {proc.stderr[-400:]!r}")
    op_id, at = Path(out).read_text().split()
    crashed = point == "mid_record"
    present = d.store.db.execute("SELECT count(*) FROM outbox WHERE op_id = ?", (op_id,)).fetchone()[0]
    if present != int(not crashed):
        raise RuntimeError(f"handheld kill {point}: op {op_id} present={present} on the handheld")
    log.add(
        Action(
            d.name,
            d.courier_id,
            kind,
            op_id,
            datetime.fromisoformat(at),
            d.recorded,
            job_id=job["id"],
            crashed=crashed,
        )
    )
    return True


def _sync(device: Device, attempts: int = 1) -> bool:
    for attempt in range(attempts):
        try:
            device.engine.sync_once()
            return True
        except TransportError:
            time.sleep(device.engine.delay(attempt))
    return False


def run_simulation(cfg: SimConfig) -> SimResult:
    from django.conf import settings

    from backend.shipments.services import job_assign
    from backend.shipments.states import JobStatus
    from bench.syncserver import database_url

    rng = random.Random(cfg.seed)
    started = time.monotonic()
    world = World(cfg, rng)
    log = SimLog()
    tmp = tempfile.TemporaryDirectory(prefix="syncsim-")
    control = Path(tmp.name) / "control"
    control.mkdir()
    # The connection pool as deployed: without it every request under daphne opens its own
    # connection, and pushes piling up behind locks (retries, proxy duplicates) exhaust PostgreSQL.
    env = {"PARCELRUN_BENCH_CONTROL": str(control), "DATABASE_POOL_MAX": "12"}
    if cfg.mutant:
        env["PARCELRUN_BENCH_MUTANT"] = cfg.mutant
    server = ServerProcess(
        database_url=database_url(connection.settings_dict), log_path=cfg.log_path, extra_env=env, hooks=True
    )
    server.start(timeout_s=180)
    kill_lock = threading.Lock()
    armed = {"kills_left": 0}
    stop = threading.Event()
    staff_lock = threading.Lock()  # the supervisor does not act while PostgreSQL restarts
    restarts = {"epoch": 0, "down_s": 0.0}

    def kill_and_restart() -> None:
        with kill_lock:
            server.kill()
            server.start(timeout_s=180)

    def watchdog() -> None:  # a server that killed itself at a hook is started again, as a supervisor would
        while not stop.wait(0.05):
            with kill_lock:
                if not server.alive():
                    try:
                        server.start(timeout_s=180)
                    except RuntimeError:  # a loaded machine: try again (the proxy answers 502 meanwhile)
                        server.kill()

    def on_push() -> bool:
        with kill_lock:
            if armed["kills_left"] <= 0:
                return False
            armed["kills_left"] -= 1
        # SIGKILL a few milliseconds into the batch, while the server is applying it.
        threading.Timer(rng.uniform(0.005, 0.04), kill_and_restart).start()
        return True

    plan = [k for k in KINDS for _ in range(cfg.plan_each)]
    rng.shuffle(plan)
    proxy = FaultProxy(
        server.port, rate=cfg.fault_rate, seed=cfg.seed, plan=plan, stall_s=cfg.stall_s, on_push=on_push
    )
    proxy.start()
    devices: list[Device] = []
    for i, (device_id, courier_id, token) in enumerate(world.tokens):
        path = str(Path(tmp.name) / f"{device_id}.sqlite3")
        store = Store(path, device_id=device_id)
        transport = HttpTransport(f"http://127.0.0.1:{proxy.port}", token, timeout_s=cfg.timeout_s)
        engine = SyncEngine(
            store,
            transport,
            batch_size=rng.choice([25, 50, 100]),
            base_delay_s=0.05,
            max_delay_s=1.0,
            rng=random.Random(cfg.seed * 1000 + i),
        )
        devices.append(
            Device(device_id, courier_id, store, engine, transport, random.Random(cfg.seed * 7 + i), path)
        )
    for d in devices:
        _sync(d, attempts=20)

    quota = max(1, cfg.ops // len(devices))
    total = quota * len(devices)
    reassignments = Counter[str]()
    errors: list[BaseException] = []
    # Handheld kills and bad inputs: given to devices at fixed points of their own day.
    chores: dict[str, list[tuple[int, str]]] = {d.name: [] for d in devices}
    for k in range(cfg.handheld_kills):
        chores[devices[k % len(devices)].name].append(
            (quota * (k + 1) // (cfg.handheld_kills + 1), "mid_record" if k % 2 == 0 else "after_record")
        )
    for k in range(cfg.bad_inputs):
        chores[devices[(k + 1) % len(devices)].name].append((quota * (k + 1) // (cfg.bad_inputs + 2), "bad"))
    done_chores = Counter[str]()

    def device_day(d: Device) -> None:
        actions = Actions(d.store, clock=d.clock)
        offline_until = 0.0
        todo = sorted(chores[d.name])
        try:
            while d.recorded < quota:
                while todo and d.recorded >= todo[0][0]:
                    _, what = todo[0]
                    if what == "bad":
                        _bad_input(d, log)
                        todo.pop(0)
                    elif _handheld_kill(d, log, what, tmp.name):
                        todo.pop(0)
                    else:
                        break  # no open job on this handheld yet: later
                    done_chores[what] += 1
                if _act(d, actions, world, log):
                    d.recorded += 1
                now = time.monotonic()
                if now > offline_until and d.rng.random() < 0.02:
                    offline_until = now + d.rng.uniform(0.2, 1.5)  # a dead zone: record only
                if now > offline_until and d.rng.random() < 0.12:
                    _sync(d)
                time.sleep(d.rng.uniform(0, 0.004))
        except BaseException as exc:
            errors.append(exc)

    def supervisor_day() -> None:
        # Reassignments race the couriers' offline deliveries.
        from django.db import DatabaseError, OperationalError

        from backend.common.errors import DomainError
        from backend.shipments.models import Job

        r = random.Random(cfg.seed + 99)
        ids = [c.pk for c in world.couriers]
        epoch = 0
        try:
            while not stop.wait(r.uniform(0.5, 1.5) * cfg.reassign_every_s):
                with staff_lock:
                    if epoch != restarts["epoch"]:  # its connection died with PostgreSQL
                        connection.close()
                        epoch = restarts["epoch"]
                    open_jobs = list(
                        Job.objects.filter(
                            station=world.station,
                            status__in=[JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.STARTED],
                        ).values_list("pk", "courier_id")
                    )
                    if not open_jobs or len(ids) < 2:
                        continue
                    job_id, holder = r.choice(open_jobs)
                    to = r.choice([c for c in ids if c != holder])
                    t_start = datetime.now(UTC)
                    try:
                        job_assign(job_id=job_id, courier_id=to, ctx=world.staff)
                    except DomainError:
                        reassignments["lost_race"] += 1  # the courier moved it first: nothing written
                        continue
                    except OperationalError as exc:
                        if getattr(exc.__cause__, "sqlstate", None) not in ("40P01", "40001"):
                            raise
                        reassignments["deadlock_victim"] += 1  # rolled back whole: nothing written
                        continue
                    log.handover(Handover(job_id, int(holder), to, t_start, datetime.now(UTC)))
                    reassignments["done"] += 1
        except DatabaseError as exc:
            errors.append(exc)
        finally:
            connection.close()

    def killer() -> None:
        # Timed SIGKILLs mid-batch, then kills placed at the hooks (bench/faultserver.py).
        points = ["timer"] * cfg.kills + [
            "kill_after_claim" if k % 2 == 0 else "kill_after_commit" for k in range(cfg.precise_kills)
        ]
        rng_k = random.Random(cfg.seed + 5)
        rng_k.shuffle(points)
        for k, point in enumerate(points):
            target = total * (k + 1) / (len(points) + 1)
            while sum(d.recorded for d in devices) < target and not stop.is_set():
                time.sleep(0.02)
            if point == "timer":
                with kill_lock:
                    armed["kills_left"] += 1
            else:
                (control / point).touch()

    def pg_restarter() -> None:
        for k in range(cfg.pg_restarts):
            target = total * (k + 0.5) / cfg.pg_restarts
            while sum(d.recorded for d in devices) < target and not stop.is_set():
                time.sleep(0.02)
            if stop.is_set():
                return
            with staff_lock:
                restarts["down_s"] += cfg.cluster.restart_immediate()
                restarts["epoch"] += 1

    threads = [threading.Thread(target=device_day, args=(d,)) for d in devices]
    helpers = [threading.Thread(target=f) for f in (supervisor_day, killer, pg_restarter)]
    guard = threading.Thread(target=watchdog, daemon=True)
    for t in [*threads, *helpers, guard]:
        t.start()
    for t in threads:
        t.join()
    for t in helpers[1:]:
        t.join()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kills armed late still happen
        with kill_lock:
            pending = armed["kills_left"]
        if pending <= 0 and not any(
            p.name in ("kill_after_claim", "kill_after_commit") for p in control.iterdir()
        ):
            break
        for d in devices:
            _sync(d)
    stop.set()
    helpers[0].join()
    guard.join()
    drain_started = time.monotonic()
    workday = {k: proxy.stats[k] for k in (*KINDS, "exchanges")}
    proxy.rate, proxy.plan = 0.0, []
    time.sleep(0.5)
    with kill_lock:
        if not server.alive():
            server.start(timeout_s=180)

    def drain(d: Device) -> None:
        for _ in range(10):
            if _sync(d, attempts=30) and outbox.pending_count(d.store) == 0:
                return

    for _ in range(2):  # second round: scopes changed by others' ops (offline deliveries) since the first
        drainers = [threading.Thread(target=drain, args=(d,)) for d in devices]
        for t in drainers:
            t.start()
        for t in drainers:
            t.join()
    for d in devices:  # a last pull each, now that nobody changes anything
        _sync(d, attempts=30)
    drain_s = time.monotonic() - drain_started
    connection.close()
    answers = {o.op_id: (o.state, o.code) for d in devices for o in outbox.all_ops(d.store)}
    report, extra = fault_check.check(
        log, world.initial, world.shipment_of, world.setup_events, answers, Path(settings.MEDIA_ROOT)
    )
    figures: dict[str, Any] = {**report.figures(), **extra}
    figures["diverged_devices"] = _diverged_devices(devices)
    rejected = Counter(o.code for d in devices for o in outbox.all_ops(d.store) if o.state == "rejected")
    self_kills = Counter(
        p.name.removeprefix("killed_").rsplit("_", 2)[0]
        for p in control.iterdir()
        if p.name.startswith("killed_")
    )
    figures.update(
        {
            "seed": cfg.seed,
            "mutant": cfg.mutant or None,
            "devices": len(devices),
            "actions": len(log.actions),
            "rejected": dict(rejected),
            "faults": {k: proxy.stats[k] for k in KINDS},
            "faulted_exchanges": sum(proxy.stats[k] for k in KINDS),
            "exchanges": proxy.stats["exchanges"],
            "upstream_down": proxy.stats["upstream_down"],
            "workday_faulted_pct": round(
                100 * sum(workday[k] for k in KINDS) / max(1, workday["exchanges"]), 1
            ),
            "server_kills": server.kills + sum(self_kills.values()),
            "server_kills_at": dict(self_kills),
            "handheld_kills": done_chores["mid_record"] + done_chores["after_record"],
            "bad_inputs": done_chores["bad"],
            "pg_restarts": restarts["epoch"],
            "pg_down_s": round(restarts["down_s"], 1),
            "handovers": dict(reassignments),
            "drain_s": round(drain_s, 2),
            "seconds": round(time.monotonic() - started, 1),
            "errors": [repr(e) for e in errors],
        }
    )
    proxy.stop()
    server.stop()
    for d in devices:
        d.transport.close()
        d.store.close()
    tmp.cleanup()
    return SimResult(figures)


def _diverged_devices(devices: list[Device]) -> int:
    """Handhelds whose jobs differ from the server's view of their scope (a secondary check)."""
    from backend.shipments.models import Job

    diverged = 0
    for d in devices:
        server = {
            j.pk: (j.status, j.version, j.shipment.status)
            for j in Job.objects.filter(courier_id=d.courier_id).select_related("shipment")
        }
        local = {j["id"]: (j["status"], j["version"], j["shipment"]["status"]) for j in d.store.jobs()}
        diverged += int(server != local)
    return diverged
