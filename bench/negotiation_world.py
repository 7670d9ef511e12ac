"""The world of bench/negotiation.py's end-to-end benches, built through the services in its own process.

    python bench/negotiation_world.py PLAN.json --couriers 30 --planned 20 --feeds 30 --load 1000 --page 2

Needs DATABASE_URL (the bench database, migrated) and SECRET_KEY (the servers' key: the customers'
links are signed with it); REDIS_URL empty (eager, nothing published while seeding).

One station whose zone puts its clock at 11:00 now (so the couriers, on shift 08:00–20:00, are out
on their round and there are windows left today), ``--couriers`` couriers each with ``--planned``
deliveries planned by a real re-plan, and then delivery attempts that failed ("not home"), each
followed by the failed-attempt negotiation (``negotiation_offer_after_failure``: windows the route
can keep, station, locker, keep) and a link for the customer. The failed jobs are dealt round-robin
over the couriers: ``--feeds`` for the latency bench (one courier each), ``--load`` for the
1,000-customer minute, ``--page`` for the page-weight bench. The plan file names them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402

from backend.accounts.roles import principal_of  # noqa: E402
from backend.accounts.services import token_issue  # noqa: E402
from backend.couriers.models import Courier, DutyStatus, Station, Supervisor  # noqa: E402
from backend.dispatch.services.planning import courier_replan  # noqa: E402
from backend.negotiation.links import link_issue  # noqa: E402
from backend.negotiation.services.triggers import negotiation_offer_after_failure  # noqa: E402
from backend.shipments.context import Ctx  # noqa: E402
from backend.shipments.services import (  # noqa: E402
    ShipmentInput,
    job_assign,
    job_fail,
    job_start,
    scan,
    shipment_create,
)

LAT, LNG = 30.27, 120.15  # the station; stops within ~2 km of it (an e-tricycle's district)
LOCAL_HOUR = 11


def zone_at(hour: int, now: datetime) -> str:
    """A fixed-offset IANA zone in which ``now`` is ``hour`` o'clock (or the hour after)."""
    offset = (hour - now.astimezone(UTC).hour + 12) % 24 - 12  # −12 … +11
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def _person_ctx(user: User, device: str) -> tuple[Ctx, str]:
    user = User.objects.select_related("courier", "supervisor").get(pk=user.pk)
    _, key = token_issue(user, device)
    return Ctx(actor=principal_of(user), device_id=device), key


def _shipment(rng: random.Random, n: int) -> ShipmentInput:
    return ShipmentInput.from_dict(
        {
            "kind": "delivery",
            "sender_name": "张三",
            "sender_phone": "13812345678",
            "sender_address": f"杭州市西湖区文三路{n}号",
            "recipient_name": "李四",
            "recipient_phone": f"139{n % 100_000_000:08d}",
            "recipient_address": f"杭州市西湖区教工路{n}号",
            "recipient_lat": LAT + rng.uniform(-0.018, 0.018),
            "recipient_lng": LNG + rng.uniform(-0.02, 0.02),
        }
    )


def seed(plan_path: Path, couriers_n: int, planned: int, feeds: int, load: int, page: int) -> None:
    t0 = time.monotonic()
    rng = random.Random(14)
    now = datetime.now(UTC)
    zone = zone_at(LOCAL_HOUR, now)
    station = Station.objects.create(
        code="NEG1", name="协商测试站", address="杭州市西湖区文三路1号", lat=LAT, lng=LNG, time_zone=zone
    )
    password = make_password("bench")
    boss_user = User.objects.create(username="boss", password=password)
    Supervisor.objects.create(user=boss_user, station=station, name="站长")
    boss, boss_key = _person_ctx(boss_user, "console")
    couriers: list[tuple[Courier, Ctx, str]] = []
    for c in range(couriers_n):
        user = User.objects.create(username=f"c{c}", password=password)
        courier = Courier.objects.create(
            user=user,
            station=station,
            employee_no=f"N{c:04d}",
            name=f"快递员{c}",
            phone="+8613800138000",
            duty_status=DutyStatus.ON_DUTY,
        )
        ctx, key = _person_ctx(user, f"phone-{c}")
        couriers.append((courier, ctx, key))
    n = 0
    for courier, _, _ in couriers:
        for _ in range(planned):
            n += 1
            job = shipment_create(station_id=station.pk, data=_shipment(rng, n), ctx=boss)
            scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=boss)
            job_assign(job_id=job.pk, courier_id=courier.pk, ctx=boss)
        courier_replan(courier_id=courier.pk, trigger="bench: the morning plan")
    groups: dict[str, list[dict[str, object]]] = {"feeds": [], "load": [], "page": []}
    wanted = [("feeds", feeds), ("load", load), ("page", page)]
    i = 0
    for group, count in wanted:
        for _ in range(count):
            courier, ctx, _ = couriers[i % couriers_n]
            i += 1
            n += 1
            job = shipment_create(station_id=station.pk, data=_shipment(rng, n), ctx=boss)
            scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=boss)
            job_assign(job_id=job.pk, courier_id=courier.pk, ctx=boss)
            job_start(job_id=job.pk, ctx=ctx)
            job = job_fail(job_id=job.pk, ctx=ctx, reason_code="not_home")
            negotiation = negotiation_offer_after_failure(job_id=job.pk, attempt_number=job.attempt_count)
            assert negotiation is not None
            token, claims, _ = link_issue(
                negotiation_id=negotiation.pk, shipment_id=negotiation.shipment_id, now=now
            )
            groups[group].append(
                {
                    "negotiation_id": negotiation.pk,
                    "job_id": job.pk,
                    "courier_id": courier.pk,
                    "token": token,
                    "link_id": claims.link_id,
                }
            )
    plan = {
        "station": {"id": station.pk, "code": station.code, "time_zone": zone},
        "local_time": now.astimezone(ZoneInfo(zone)).isoformat(),
        "supervisor_token": boss_key,
        "couriers": [{"id": c.pk, "token": key} for c, _, key in couriers],
        "planned_per_courier": planned,
        **groups,
        "seconds": round(time.monotonic() - t0, 1),
    }
    plan_path.write_text(json.dumps(plan))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("plan", type=Path)
    ap.add_argument("--couriers", type=int, default=30)
    ap.add_argument("--planned", type=int, default=20)
    ap.add_argument("--feeds", type=int, default=30)
    ap.add_argument("--load", type=int, default=1000)
    ap.add_argument("--page", type=int, default=2)
    args = ap.parse_args()
    seed(args.plan, args.couriers, args.planned, args.feeds, args.load, args.page)


if __name__ == "__main__":
    main()
