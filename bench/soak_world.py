"""The station bench/soak.py runs against, built through the services (run in its own process).

    python bench/soak_world.py PLAN.json --couriers 30 --jobs 90 --supervisors 3 --customers 20

Needs DATABASE_URL (the soak's own database). One station; every courier on duty with ``--jobs``
deliveries assigned to them and scanned in at the station (the morning's state), a token per
courier's handheld and per supervisor's console, and for ``--customers`` of the parcels a customer
link (the shipment feed) with the recipient's phone suffix for public tracking. The plan file
carries the tokens and ids the load generator needs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
os.environ.setdefault("FAST_PASSWORD_HASHER", "True")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.utils import timezone  # noqa: E402

from backend.accounts.roles import principal_of  # noqa: E402
from backend.accounts.services import token_issue  # noqa: E402
from backend.couriers.models import Courier, DutyStatus, Station, Supervisor  # noqa: E402
from backend.realtime.links import link_issue  # noqa: E402
from backend.shipments.context import Ctx  # noqa: E402
from backend.shipments.services import ShipmentInput, job_assign, shipments_create_bulk  # noqa: E402
from backend.shipments.services.scans_bulk import ScanInput, scans_record_bulk  # noqa: E402

STATION = "SOAK01"
STREETS = ["文三路", "教工路", "学院路", "天目山路", "古墩路", "西溪路", "莫干山路", "文一西路"]


def seed(plan_path: Path, couriers: int, jobs: int, supervisors: int, customers: int) -> None:
    station = Station.objects.create(
        code=STATION, name="压测站", address="杭州市西湖区文三路1号", lat=30.28, lng=120.13
    )
    plan: dict[str, object] = {"station": STATION, "couriers": [], "supervisors": [], "customers": []}
    bosses = []
    for s in range(supervisors):
        user = User.objects.create_user(f"soak-boss-{s}")
        Supervisor.objects.create(user=user, station=station, name=f"站长{s}")
        bosses.append(user)
        plan["supervisors"].append(token_issue(user, f"console-{s}")[1])  # type: ignore[attr-defined]
    staff = Ctx(actor=principal_of(User.objects.select_related("supervisor").get(pk=bosses[0].pk)))
    today = timezone.localdate()
    n = 0
    for c in range(couriers):
        user = User.objects.create_user(f"soak-courier-{c}")
        courier = Courier.objects.create(
            user=user,
            station=station,
            employee_no=f"S{c:04d}",
            name=f"快递员{c}",
            phone=f"+86138{c:08d}",
            duty_status=DutyStatus.ON_DUTY,
        )
        rows = []
        for _ in range(jobs):
            n += 1
            rows.append(
                ShipmentInput.from_dict(
                    {
                        "kind": "delivery",
                        "sender_name": "张三",
                        "sender_phone": "13812345678",
                        "sender_address": "杭州市西湖区文三路1号",
                        "recipient_name": f"收件人{n}",
                        "recipient_phone": f"139{n:08d}",
                        "recipient_address": f"杭州市西湖区{STREETS[n % len(STREETS)]}{n % 400 + 1}号",
                        "recipient_lat": 30.25 + (n % 97) / 1000,
                        "recipient_lng": 120.10 + (n % 89) / 1000,
                        "service_date": today,
                    }
                )
            )
        created = shipments_create_bulk(station_id=station.pk, rows=rows, ctx=staff)
        scans_record_bulk(
            scans=[
                ScanInput(
                    key=f"in-{j.pk}",
                    tracking_no=j.shipment.tracking_no,
                    scan_kind="station_in",
                    event_at=timezone.now(),
                )
                for j in created
            ],
            actor=staff.actor,
            device_id="soak-setup",
        )
        for job in created:
            job_assign(job_id=job.pk, courier_id=courier.pk, ctx=staff)
        device = f"handheld-{c}"
        plan["couriers"].append(  # type: ignore[attr-defined]
            {
                "device": device,
                "token": token_issue(user, device)[1],
                "jobs": [[j.pk, j.shipment.tracking_no] for j in created],
            }
        )
        per = -(-customers // couriers)  # spread the customers over the couriers' routes
        for job in created[:per]:
            if len(plan["customers"]) >= customers:  # type: ignore[arg-type]
                break
            plan["customers"].append(  # type: ignore[attr-defined]
                {
                    "tracking_no": job.shipment.tracking_no,
                    "link": link_issue(shipment_id=job.shipment_id),
                    "phone_last4": job.shipment.recipient_phone[-4:],
                }
            )
    plan_path.write_text(json.dumps(plan))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("plan", type=Path)
    p.add_argument("--couriers", type=int, default=30)
    p.add_argument("--jobs", type=int, default=90)
    p.add_argument("--supervisors", type=int, default=3)
    p.add_argument("--customers", type=int, default=20)
    a = p.parse_args()
    seed(a.plan, a.couriers, a.jobs, a.supervisors, a.customers)


if __name__ == "__main__":
    main()
