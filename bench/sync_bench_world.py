"""The data bench/sync.py runs on, made through the services (so it obeys production rules)."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.accounts.roles import principal_of
from backend.accounts.services import token_issue
from backend.couriers.models import Courier, DutyStatus, Station, Supervisor
from backend.shipments.context import Ctx
from backend.shipments.models import FeedEntry, Job, TrackingEvent
from backend.shipments.services import ShipmentInput, job_assign, shipments_create_bulk
from backend.shipments.services.scans_bulk import ScanInput, scans_record_bulk
from backend.sync.models import AppliedOp
from backend.sync.selectors import committed_cursor
from mobile.actions import Actions
from mobile.offline.store import Store
from parcelkit.uuid7 import uuid7

PROOF = {"method": "signature", "recipient_relation": "self", "recipient_name": "李四"}


@dataclass
class BenchWorld:
    tag: str
    staff: Ctx
    scan_tracking: list[str] = field(default_factory=list)
    scan_tokens: list[tuple[str, str]] = field(default_factory=list)
    transition_devices: list[tuple[str, str, list[int]]] = field(default_factory=list)
    pull_token: str = ""
    pull30_token: str = ""
    offline_device: str = ""
    offline_token: str = ""


def _shipments(station: Station, staff: Ctx, n: int, tag: str) -> list[Job]:
    jobs: list[Job] = []
    today = timezone.localdate()
    for start in range(0, n, 2000):
        rows = [
            ShipmentInput.from_dict(
                {
                    "kind": "delivery",
                    "sender_name": "张三",
                    "sender_phone": "13812345678",
                    "sender_address": "文三路1号",
                    "recipient_name": "李四",
                    "recipient_phone": "13912345678",
                    "recipient_address": f"教工路{i}号",
                    "service_date": today,
                }
            )
            for i in range(start, min(n, start + 2000))
        ]
        jobs += shipments_create_bulk(station_id=station.pk, rows=rows, ctx=staff)
    scans_record_bulk(
        scans=[
            ScanInput(
                key=f"in-{tag}-{j.pk}",
                tracking_no=j.shipment.tracking_no,
                scan_kind="station_in",
                event_at=timezone.now(),
            )
            for j in jobs
        ],
        actor=staff.actor,
        device_id="bench-setup",
    )
    return jobs


def _courier(
    station: Station, staff: Ctx, name: str, n_jobs: int, tag: str
) -> tuple[Courier, str, str, list[int]]:
    user = User.objects.create_user(f"{name}{tag}")
    courier = Courier.objects.create(
        user=user,
        station=station,
        employee_no=f"{name}{tag}"[:32],
        name=name,
        phone="+8613800138000",
        duty_status=DutyStatus.ON_DUTY,
    )
    jobs = _shipments(station, staff, n_jobs, f"{name}{tag}")
    for job in jobs:
        job_assign(job_id=job.pk, courier_id=courier.pk, ctx=staff)
    device = f"{name}-{tag}"
    _, token = token_issue(user, device)
    return courier, device, token, [j.pk for j in jobs]


def build(*, scan_devices: int, transition_couriers: int, jobs_per_courier: int) -> BenchWorld:
    tag = f"{random.randrange(10**8):08d}"
    station = Station.objects.create(code=f"B{tag}", name="压测站", address="杭州", lat=30.2, lng=120.1)
    boss = User.objects.create_user(f"benchsup{tag}")
    Supervisor.objects.create(user=boss, station=station, name="站长")
    staff = Ctx(actor=principal_of(User.objects.select_related("supervisor").get(pk=boss.pk)))
    world = BenchWorld(tag=tag, staff=staff)
    world.scan_tracking = [j.shipment.tracking_no for j in _shipments(station, staff, 5000, tag)]
    for d in range(scan_devices):
        device = f"belt-{tag}-{d}"
        world.scan_tokens.append((device, token_issue(boss, device)[1]))
    for c in range(transition_couriers):
        _, device, token, jobs = _courier(station, staff, f"t{c}x", jobs_per_courier, tag)
        world.transition_devices.append((device, token, jobs))
    world.pull_token = _courier(station, staff, "pull", 300, tag)[2]
    world.pull30_token = _courier(station, staff, "pullsmall", 30, tag)[2]
    _, world.offline_device, world.offline_token, _ = _courier(station, staff, "offline", 300, tag)
    return world


def _op(device: str, seq: int, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "op_id": str(uuid7()),
        "device_id": device,
        "seq": seq,
        "event_at": datetime.now(UTC).isoformat(),
        "kind": kind,
        "payload": payload,
    }


def scan_batches(
    world: BenchWorld, device: str, batches: int, index: int = 0, of: int = 1
) -> list[list[dict[str, Any]]]:
    """Device ``index`` of ``of`` scans its own share of the station's parcels.

    At a station each parcel passes one scanner per hand-over (one door, one belt, one loading bay),
    so concurrent devices do not scan the same parcels at the same moment; a shared pool would make
    every batch queue on the others' row locks, which no station sees.
    """
    rng = random.Random(device)
    seq = itertools.count(1)
    kinds = ["sorted"] * 6 + ["loaded_out", "station_in"]
    own = world.scan_tracking[index::of]
    return [
        [
            _op(device, next(seq), "scan", {"tracking_no": rng.choice(own), "scan_kind": rng.choice(kinds)})
            for _ in range(500)
        ]
        for _ in range(batches)
    ]


def transition_batches(jobs: list[int], device: str) -> list[list[dict[str, Any]]]:
    rng = random.Random(device)
    seq = itertools.count(1)
    ops: list[dict[str, Any]] = []
    for job_id in jobs:
        ops.append(_op(device, next(seq), "start", {"job_id": job_id}))
        ops.append(_op(device, next(seq), "arrive", {"job_id": job_id, "lat": 30.2, "lng": 120.1}))
        if rng.random() < 0.8:
            proof = {**PROOF, "media_sha256": [f"{rng.getrandbits(256):064x}"]}
            ops.append(_op(device, next(seq), "deliver", {"job_id": job_id, "proof": proof}))
        else:
            ops.append(
                _op(
                    device,
                    next(seq),
                    "fail",
                    {"job_id": job_id, "reason_code": "not_home", "next_step": {"kind": "retry"}},
                )
            )
    return [ops[i : i + 100] for i in range(0, len(ops), 100)]


def row_counts() -> dict[str, int]:
    return {
        "events": TrackingEvent.objects.count(),
        "feed": FeedEntry.objects.count(),
        "applied_ops": AppliedOp.objects.count(),
    }


def head() -> int:
    return committed_cursor()


def pull_query_counts(world: BenchWorld) -> dict[str, int]:
    client = Client()
    counts: dict[str, int] = {}
    for label, token in (("300", world.pull_token), ("30", world.pull30_token)):
        auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
        client.get(
            "/api/v1/sync/pull", **auth
        )  # the token's last-used stamp is written at most once a minute
        for kind, params in (("snapshot", {}), ("incremental", {"cursor": head()})):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get("/api/v1/sync/pull", params, **auth).status_code == 200
            counts[f"{kind}_{label}"] = len(ctx.captured_queries)
    return counts


def record_offline_day(store: Store, n_ops: int, rng: random.Random) -> None:
    """A courier's whole day with no signal: every job started, reached, delivered or failed, with
    scans and a location fix every few minutes, recorded through the same Actions the screens call."""
    actions = Actions(store)
    jobs = [j for j in store.jobs() if j["status"] == "assigned"]
    per_job = max(0, (n_ops - 5 * len(jobs)) // max(1, len(jobs)))
    recorded = 0
    for job in jobs:
        for _ in range(per_job):
            actions.record_location(30.2 + rng.random() / 50, 120.1 + rng.random() / 50, accuracy_m=6.0)
        actions.record_scan(job["shipment"]["tracking_no"], "sorted")
        actions.record_scan(job["shipment"]["tracking_no"], "loaded_out")
        actions.record_start(job["id"])
        actions.record_arrive(job["id"])
        if rng.random() < 0.85:
            sig = b"\x89PNG\r\n\x1a\n" + rng.randbytes(1500)
            actions.record_deliver(job["id"], PROOF, files=[(sig, "image/png")])
        else:
            actions.record_fail(job["id"], "not_home", next_step={"kind": "retry"})
        recorded += per_job + 5
    for _ in range(n_ops - recorded):
        actions.record_location(30.2, 120.1)
