"""The live part of the sustained sync bench's world: a station, its scanners, 300 couriers and their jobs.

The history the tables carry (tens of millions of rows) comes from ``bench/sync_preload.py``; this
adds what the load acts on: parcels at the station (rows as intake and a station-in scan leave
them, written set-based: see ``_create``) and their jobs. The
assignment of tens of thousands of jobs is one set-based UPDATE instead of one ``job_assign``
call each (an hour of setup on this machine): it writes what ``job_assign`` writes to the job
(courier, status, version) and leaves out the assignment's event, feed row and re-plan, which
the bench does not measure (it measures the pushes that follow).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from backend.accounts.services import token_issue
from backend.couriers.models import Courier, DutyStatus, Station, Supervisor
from backend.shipments.models import Job
from backend.shipments.numbering import reserve_serials


@dataclass
class SustainedWorld:
    tag: str
    scan_tracking: list[str] = field(default_factory=list)
    scan_tokens: list[tuple[str, str]] = field(default_factory=list)
    # (device id, token, job ids) per courier
    couriers: list[tuple[str, str, list[int]]] = field(default_factory=list)


_SHIPMENTS_SQL = """
WITH s AS (
  INSERT INTO shipments_shipment (tracking_no, status, station_id, service_level, sender_name, sender_phone,
    sender_address, recipient_name, recipient_phone, recipient_address, recipient_postcode, destination_region,
    declared_value_fen, cod_amount_fen, handling, weight_source, pieces, payment_method, delivery_code,
    sender_id_type, sender_id_last4, sender_real_name, created_at, updated_at)
  SELECT pg_temp.pr_tracking_no(serial), 'at_station', %(station)s, 'standard', '张三', '13812345678', '文三路1号',
    '李四', '13912345678', '教工路' || serial %% 1999 || '号', '', '', 0, 0, '[]', '', 1, '', '', '', '', '',
    now(), now()
  FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS serial
  RETURNING id, tracking_no, recipient_address
)
INSERT INTO shipments_job (kind, shipment_id, station_id, status, service_date, address, priority,
  attempt_count, next_step, version, plan_revision, on_hold, created_at, updated_at)
SELECT 'delivery', id, %(station)s, 'pending', %(today)s, recipient_address, 0, 0, '{}', 1, 0, false, now(), now()
FROM s RETURNING id, shipment_id
"""


def _create(station: Station, n: int) -> list[tuple[int, str]]:
    """``n`` parcels at the station, each with its delivery job: (job id, tracking number).

    Set-based (one INSERT for the shipments and their jobs), with numbers the counter issued
    (``numbering.reserve_serials``); ``shipments_create_bulk`` plus a station-in scan per parcel
    took 56 ms a parcel on this loaded machine, an hour for the jobs a 10-minute run needs.
    """
    from bench.sync_preload import LUHN_SQL

    if n == 0:
        return []
    serials = reserve_serials(n)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(LUHN_SQL)
        cur.execute(
            _SHIPMENTS_SQL,
            {
                "station": station.pk,
                "lo": serials.start,
                "hi": serials.stop - 1,
                "today": timezone.localdate(),
            },
        )
        jobs = dict(cur.fetchall())
        cur.execute(
            "SELECT id, tracking_no FROM shipments_shipment WHERE id = ANY(%s)", [list(jobs.values())]
        )
        numbers = dict(cur.fetchall())
    return sorted((job, numbers[ship]) for job, ship in jobs.items())


def build(*, scan_devices: int, scan_shipments: int, couriers: int, jobs_per_courier: int) -> SustainedWorld:
    tag = f"{random.randrange(10**8):08d}"
    station = Station.objects.create(code=f"S{tag}", name="持续压测站", address="杭州", lat=30.2, lng=120.1)
    boss = User.objects.create_user(f"sussup{tag}")
    Supervisor.objects.create(user=boss, station=station, name="站长")
    world = SustainedWorld(tag=tag)
    world.scan_tracking = [number for _, number in _create(station, scan_shipments)]
    for d in range(scan_devices):
        device = f"belt-{tag}-{d}"
        world.scan_tokens.append((device, token_issue(boss, device)[1]))
    jobs = [job for job, _ in _create(station, couriers * jobs_per_courier)]
    for c in range(couriers):
        user = User.objects.create_user(f"sc{c}x{tag}")
        courier = Courier.objects.create(
            user=user,
            station=station,
            employee_no=f"sc{c}x{tag}"[:32],
            name=f"sc{c}",
            phone="+8613800138000",
            duty_status=DutyStatus.ON_DUTY,
        )
        own = jobs[c * jobs_per_courier : (c + 1) * jobs_per_courier]
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                f"UPDATE {Job._meta.db_table} SET courier_id = %s, status = 'assigned', "
                "version = version + 1, updated_at = now() WHERE id = ANY(%s)",
                [courier.pk, own],
            )
        device = f"sc{c}-{tag}"
        world.couriers.append((device, token_issue(user, device)[1], own))
    return world
