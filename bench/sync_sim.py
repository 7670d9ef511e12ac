"""Simulated handhelds through random workdays, against a real server behind the fault proxy.

Used by tests/backend/sync/test_fault_injection.py (small) and bench/sync_faults.py (full size).
Django must be set up by the caller (the world is created and checked through the ORM); the server
under test is a separate daphne process on the same database, killed with SIGKILL mid-batch.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from bench.faultproxy import KINDS, FaultProxy
from bench.syncserver import ServerProcess
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


@dataclass
class Device:
    name: str
    courier_id: int
    store: Store
    engine: SyncEngine
    transport: HttpTransport
    rng: random.Random
    recorded: int = 0


@dataclass
class SimResult:
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        f = self.figures
        return (
            f["lost"] == 0 and f["duplicated"] == 0 and f["diverged_devices"] == 0 and f["unexplained"] == 0
        )


class World:
    """A station, a supervisor, couriers with one or two handhelds each, and their jobs."""

    def __init__(self, cfg: SimConfig, rng: random.Random) -> None:
        from backend.accounts.roles import principal_of
        from backend.accounts.services import token_issue
        from backend.couriers.models import Courier, DutyStatus, Station, Supervisor
        from backend.shipments.context import Ctx
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


def _act(device: Device, actions: Actions, tracking_nos: list[str]) -> bool:
    """One random action a courier could take now, judged on the handheld's own view."""
    rng = device.rng
    roll = rng.random()
    where = {"lat": 30.2 + rng.random() / 10, "lng": 120.1 + rng.random() / 10}
    try:
        if roll < 0.15:
            actions.record_scan(
                rng.choice(tracking_nos),
                rng.choice(["sorted", "sorted", "loaded_out", "station_in"]),
                where=where,
            )
        elif roll < 0.22:
            actions.record_location(where["lat"], where["lng"], accuracy_m=8.0)
        elif roll < 0.26:
            jobs = device.store.jobs()
            if not jobs:
                return False
            actions.record_call(
                rng.choice(jobs)["id"], rng.randrange(0, 300), rng.choice(["answered", "no_answer"])
            )
        else:
            open_jobs = [
                j
                for j in device.store.jobs()
                if j["status"] in ("assigned", "accepted", "started", "arrived")
            ]
            if not open_jobs:
                return False
            job = rng.choice(open_jobs)
            _advance(actions, job, rng, where)
    except ActionError:
        return False
    return True


def _advance(actions: Actions, job: dict[str, Any], rng: random.Random, where: dict[str, float]) -> None:
    status = job["status"]
    if status in ("assigned", "accepted"):
        actions.record_start(job["id"], where=where)
    elif job["kind"] == "pickup":
        actions.record_weigh(
            job["id"],
            {
                "measured_weight_g": rng.randrange(100, 20000),
                "weight_source": "scale",
                "scale_model": "SIM-1",
                "prohibited_items_absent": True,
            },
            where=where,
        )
    elif status == "started" and rng.random() < 0.4:
        actions.record_arrive(job["id"], where=where)
    elif rng.random() < 0.8:
        sig = PNG + rng.randbytes(rng.randrange(200, 3000))
        actions.record_deliver(job["id"], PROOF, files=[(sig, "image/png")], where=where)
    else:
        actions.record_fail(
            job["id"],
            rng.choice(["not_home", "refused", "access_denied"]),
            next_step={"kind": "retry"},
            where=where,
        )


def _sync(device: Device, attempts: int = 1) -> bool:
    for attempt in range(attempts):
        try:
            device.engine.sync_once()
            return True
        except TransportError:
            time.sleep(device.engine.delay(attempt))
    return False


def run_simulation(cfg: SimConfig) -> SimResult:
    from backend.shipments.services import job_assign
    from backend.shipments.states import JobStatus

    rng = random.Random(cfg.seed)
    started = time.monotonic()
    world = World(cfg, rng)
    db = connection.settings_dict
    from bench.syncserver import database_url

    server = ServerProcess(database_url=database_url(db), log_path=cfg.log_path)
    server.start()
    kill_lock = threading.Lock()
    armed = {"kills_left": 0}

    def kill_and_restart() -> None:
        server.kill()
        server.start()

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
    tmp = tempfile.TemporaryDirectory(prefix="syncsim-")
    devices: list[Device] = []
    for i, (device_id, courier_id, token) in enumerate(world.tokens):
        store = Store(str(Path(tmp.name) / f"{device_id}.sqlite3"), device_id=device_id)
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
            Device(device_id, courier_id, store, engine, transport, random.Random(cfg.seed * 7 + i))
        )
    for d in devices:
        _sync(d, attempts=20)

    quota = max(1, cfg.ops // len(devices))
    total = quota * len(devices)
    stop = threading.Event()
    reassignments = Counter[str]()
    errors: list[BaseException] = []

    def device_day(d: Device) -> None:
        actions = Actions(d.store)
        offline_until = 0.0
        try:
            while d.recorded < quota:
                if _act(d, actions, world.tracking_nos):
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
        r = random.Random(cfg.seed + 99)
        ids = [c.pk for c in world.couriers]
        try:
            while not stop.wait(r.uniform(0.5, 1.5) * cfg.reassign_every_s):
                from backend.shipments.models import Job

                open_jobs = list(
                    Job.objects.filter(
                        station=world.station,
                        status__in=[JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.STARTED],
                    ).values_list("pk", "courier_id")
                )
                if not open_jobs or len(ids) < 2:
                    continue
                job_id, holder = r.choice(open_jobs)
                try:
                    job_assign(
                        job_id=job_id, courier_id=r.choice([c for c in ids if c != holder]), ctx=world.staff
                    )
                    reassignments["done"] += 1
                except Exception:
                    reassignments["lost_race"] += 1
        finally:
            connection.close()

    def killer() -> None:
        for k in range(cfg.kills):
            target = total * (k + 1) / (cfg.kills + 1)
            while sum(d.recorded for d in devices) < target and not stop.is_set():
                time.sleep(0.02)
            with kill_lock:
                armed["kills_left"] += 1

    threads = [threading.Thread(target=device_day, args=(d,)) for d in devices]
    helpers = [threading.Thread(target=supervisor_day), threading.Thread(target=killer)]
    for t in threads + helpers:
        t.start()
    for t in threads:
        t.join()
    with kill_lock:
        pending_kills = armed["kills_left"]
    while pending_kills > 0 and server.kills < cfg.kills:  # a kill armed late still happens
        for d in devices:
            _sync(d)
        with kill_lock:
            pending_kills = armed["kills_left"]
    stop.set()
    for t in helpers:
        t.join()
    drain_started = time.monotonic()
    workday = {k: proxy.stats[k] for k in (*KINDS, "exchanges")}
    proxy.rate, proxy.plan = 0.0, []
    time.sleep(0.5)

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
    figures = check(world, devices)
    figures.update(
        {
            "devices": len(devices),
            "ops": sum(len(outbox.all_ops(d.store)) for d in devices),
            "faults": {k: proxy.stats[k] for k in KINDS},
            "faulted_exchanges": sum(proxy.stats[k] for k in KINDS),
            "exchanges": proxy.stats["exchanges"],
            "upstream_down": proxy.stats["upstream_down"],
            "workday_faulted_pct": round(
                100 * sum(workday[k] for k in KINDS) / max(1, workday["exchanges"]), 1
            ),
            "server_kills": server.kills,
            "reassignments": dict(reassignments),
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


def check(world: World, devices: list[Device]) -> dict[str, Any]:
    """The invariants: every op applied once or rejected with a reason; events = the devices' facts;
    every handheld's view = the server's view of its scope."""
    from backend.shipments.models import Job, OfflineConflict, TrackingEvent
    from backend.sync import oplog
    from backend.sync.models import CallLog, DeviceState

    ops = [(d, o) for d in devices for o in outbox.all_ops(d.store)]
    ids = [o.op_id for _, o in ops]
    server_ops = oplog.outcomes(ids)  # AppliedOp rows, and scans' events (their op-log entry)
    events = Counter(
        str(k)
        for k in TrackingEvent.objects.filter(device_id__in=[d.name for d in devices]).values_list(
            "idempotency_key", flat=True
        )
    )
    calls = {str(k) for k in CallLog.objects.filter(op_id__in=ids).values_list("op_id", flat=True)}
    # A fact kept for a supervisor (recorded before the station cancelled or took the job back)
    # is applied with no event: its record is an OfflineConflict carrying the op id.
    held = set(OfflineConflict.objects.filter(op_id__in=ids).values_list("op_id", flat=True))
    lost = unexplained = 0
    rejected = Counter[str]()
    applied_facts: set[str] = set()
    for _, o in ops:
        if o.state == "queued" or server_ops.get(o.op_id) != o.state:
            lost += 1
            continue
        if o.state == "rejected":
            rejected[o.code] += 1
            unexplained += int(not (o.code and o.message))
            continue
        if o.kind in EVENT_KINDS and o.op_id in held:
            lost += int(events[o.op_id] != 0)  # held means no effect: an event too would be a bug
        elif o.kind in EVENT_KINDS:
            applied_facts.add(o.op_id)
            lost += int(events[o.op_id] == 0)
        elif o.kind == "call_log":
            lost += int(o.op_id not in calls)
    duplicated = sum(n - 1 for n in events.values() if n > 1) + len(set(events) - applied_facts)
    diverged = 0
    for d in devices:
        server = {
            j.pk: (j.status, j.version, j.shipment.status)
            for j in Job.objects.filter(courier_id=d.courier_id).select_related("shipment")
        }
        local = {j["id"]: (j["status"], j["version"], j["shipment"]["status"]) for j in d.store.jobs()}
        diverged += int(server != local)
    gaps = sum(
        len(g)
        for g in DeviceState.objects.filter(device_id__in=[d.name for d in devices]).values_list(
            "gaps", flat=True
        )
    )
    return {
        "lost": lost,
        "duplicated": duplicated,
        "diverged_devices": diverged,
        "unexplained": unexplained,
        "events_equal_facts": set(events) == applied_facts,
        "seq_gaps": gaps,
        "held_for_supervisor": len(held),
        "applied": sum(1 for _, o in ops if o.state == "applied"),
        "rejected": dict(rejected),
    }
