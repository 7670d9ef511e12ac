"""The world of bench/console.py: one station's busy day, 50 couriers and 10,000 jobs on the board.

Written with bulk inserts (``bulk_create``), not through the services: 10,000 shipments through
``shipment_create``, the scans and the assignments would take many minutes on this machine, and the
bench measures the console, not the seeding. The rows are what the services would have left behind
at 11:00 local time on a working day:

- 50 couriers on duty, each with a last location ping a few seconds ago and a sync push, 20 jobs
  already delivered this morning (off the board; they count in the progress figures) and
  ``per_courier`` open jobs in planned order (``planned_seq``, an ETA every 3 minutes from now,
  a two-hour window around it, the shipment out for delivery). The first ``started`` of each
  courier are "on the way" (the courier started them; the bench delivers them), the rest accepted;
- ``unassigned`` pending jobs (parcels at the station, no courier yet) and ``held`` parcels;
- recipients, phones and addresses in a 4 × 4 km district around the station, 1 in 8 cash on
  delivery, 1 in 20 fragile, 1 in 40 with an ID check.

Needs the Django settings (the caller has run ``django.setup()``) on a migrated, empty database.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction

from backend.couriers.models import Courier, DutyStatus, Station, Supervisor
from backend.locations.models import CourierLocation
from backend.shipments.models import Job, Shipment
from backend.shipments.states import JobKind, JobStatus, ShipmentStatus
from backend.sync.models import DeviceState
from parcelkit.rules.tracking import make_tracking_no

LAT, LNG = 30.27, 120.15
LOCAL_HOUR = 11
PASSWORD = "parcelrun-bench"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
ROADS = [
    "文三路",
    "教工路",
    "学院路",
    "古翠路",
    "天目山路",
    "文二路",
    "莫干山路",
    "湖墅南路",
    "体育场路",
    "凤起路",
]


def zone_at(hour: int, now: datetime) -> str:
    """A fixed-offset IANA zone in which ``now`` is ``hour`` o'clock (or the hour after)."""
    offset = (hour - now.astimezone(UTC).hour + 12) % 24 - 12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@dataclass
class World:
    station_code: str
    supervisor: str
    password: str
    day: date
    couriers: list[int]  # courier ids, by employee number
    courier_users: dict[int, int]  # courier id -> user id
    started: dict[int, list[int]] = field(default_factory=dict)  # courier -> jobs on the way
    accepted: dict[int, list[int]] = field(default_factory=dict)  # courier -> accepted jobs, in order
    unassigned: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    on_board: int = 0


def _recipient(rng: random.Random, n: int) -> dict[str, object]:
    lat = LAT + rng.uniform(-0.018, 0.018)
    lng = LNG + rng.uniform(-0.02, 0.02)
    address = f"杭州市西湖区{rng.choice(ROADS)}{rng.randint(1, 400)}号{rng.randint(1, 30)}幢{rng.randint(101, 2408)}室"
    return {
        "recipient_name": rng.choice(SURNAMES) + rng.choice("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"),
        "recipient_phone": f"139{n % 100_000_000:08d}",
        "recipient_address": address,
        "recipient_lat": lat,
        "recipient_lng": lng,
    }


def seed(
    *, couriers: int = 50, per_courier: int = 180, unassigned: int = 800, held: int = 200, started: int = 20
) -> World:
    """Write the world and return what the bench needs to drive it."""
    rng = random.Random(15)
    now = datetime.now(UTC)
    zone = ZoneInfo(zone_at(LOCAL_HOUR, now))
    day = now.astimezone(zone).date()
    with transaction.atomic():
        station = Station.objects.create(
            code="CON1",
            name="控制台测试站",
            address="杭州市西湖区文三路1号",
            lat=LAT,
            lng=LNG,
            time_zone=zone.key,
        )
        password = make_password(PASSWORD)
        boss = User.objects.create(username="boss", password=password)
        Supervisor.objects.create(user=boss, station=station, name="站长")
        users = User.objects.bulk_create(
            [User(username=f"courier{c:02d}", password=password) for c in range(couriers)]
        )
        people = Courier.objects.bulk_create(
            [
                Courier(
                    user=u,
                    station=station,
                    employee_no=f"E{c:05d}",
                    name=f"快递员{c:02d}",
                    phone=f"1380000{c:04d}",
                    duty_status=DutyStatus.ON_DUTY,
                    capacity_g=400_000,
                )
                for c, u in enumerate(users)
            ]
        )
        CourierLocation.objects.bulk_create(
            [
                CourierLocation(
                    courier=c,
                    device_id=f"dev-{c.pk}",
                    lat=LAT + rng.uniform(-0.015, 0.015),
                    lng=LNG + rng.uniform(-0.017, 0.017),
                    accuracy_m=8,
                    recorded_at=now - timedelta(seconds=rng.randint(3, 20)),
                    received_at=now - timedelta(seconds=rng.randint(1, 15)),
                )
                for c in people
            ]
        )
        DeviceState.objects.bulk_create(
            [
                DeviceState(user=c.user, device_id=f"dev-{c.pk}", last_push_at=now - timedelta(seconds=20))
                for c in people
            ]
        )
        world = World(
            station_code=station.code,
            supervisor="boss",
            password=PASSWORD,
            day=day,
            couriers=[c.pk for c in people],
            courier_users={c.pk: c.user_id for c in people},
        )
        # (courier or None, job status, shipment status, planned place) for each job
        rows: list[tuple[Courier | None, str, str, int | None]] = []
        for c in people:
            rows += [(c, JobStatus.COMPLETED, ShipmentStatus.DELIVERED, None)] * 20
            for i in range(per_courier):
                status = JobStatus.STARTED if i < started else JobStatus.ACCEPTED
                rows.append((c, status, ShipmentStatus.OUT_FOR_DELIVERY, i))
        rows += [(None, JobStatus.PENDING, ShipmentStatus.AT_STATION, None)] * unassigned
        rows += [(None, JobStatus.PENDING, ShipmentStatus.HELD, None)] * held
        shipments = []
        for n, (_, _, s_status, _) in enumerate(rows, start=1):
            to = _recipient(rng, n)
            shipments.append(
                Shipment(
                    tracking_no=make_tracking_no(150_000_000 + n),
                    status=s_status,
                    station=station,
                    sender_name="杭州某电商仓",
                    sender_phone="057188886666",
                    sender_address="杭州市余杭区仓前街道1号",
                    declared_weight_g=rng.randint(200, 4000),
                    cod_amount_fen=rng.randint(1000, 30000) if rng.random() < 1 / 8 else 0,
                    handling=(["fragile"] if rng.random() < 1 / 20 else [])
                    + (["id_check"] if rng.random() < 1 / 40 else []),
                    **to,
                )
            )
        shipments = Shipment.objects.bulk_create(shipments, batch_size=2000)
        open_at = now.astimezone(zone).replace(hour=9, minute=0, second=0, microsecond=0)
        jobs = []
        for s, (courier, status, _, seq) in zip(shipments, rows, strict=True):
            eta = now + timedelta(minutes=3 * seq + 2) if seq is not None else None
            start = (eta - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0) if eta else open_at
            jobs.append(
                Job(
                    kind=JobKind.DELIVERY,
                    shipment=s,
                    station=station,
                    courier=courier,
                    status=status,
                    service_date=day,
                    address=s.recipient_address,
                    lat=s.recipient_lat,
                    lng=s.recipient_lng,
                    window_start=start,
                    window_end=start + timedelta(hours=3 if eta else 9),
                    planned_seq=seq,
                    eta=eta,
                    attempt_count=1 if status == JobStatus.COMPLETED else 0,
                )
            )
        jobs = Job.objects.bulk_create(jobs, batch_size=2000)
        for job, (_, _, s_status, _) in zip(jobs, rows, strict=True):
            if job.courier_id is not None and job.status == JobStatus.STARTED:
                world.started.setdefault(job.courier_id, []).append(job.pk)
            elif job.courier_id is not None and job.status == JobStatus.ACCEPTED:
                world.accepted.setdefault(job.courier_id, []).append(job.pk)
            elif job.courier_id is None and s_status == ShipmentStatus.HELD:
                world.held.append(job.pk)
            elif job.courier_id is None:
                world.unassigned.append(job.pk)
        world.on_board = sum(1 for j in jobs if j.status != JobStatus.COMPLETED)
    return world
