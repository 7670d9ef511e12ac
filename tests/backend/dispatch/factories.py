"""Jobs at known places and times for the dispatch service tests.

The fixtures' service date is 2026-11-24 (tests that plan "today" freeze the clock on it) and the station sits at (30.28 N, 120.13 E); couriers work
08:00–20:00 on an e-tricycle (15 km/h, haversine × 1.3). So 1 km east of the station is 1.3 km of
street and 5.2 minutes of riding.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from backend.couriers.models import Courier, Station
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services import job_accept, job_arrive, job_assign, job_start
from tests.clock import station_tz
from tests.fixtures.jobs import make_job

DAY = date(2026, 11, 24)
TZ = ZoneInfo(station_tz())  # the zone the fixtures give stations (tests/clock.py)
KM_PER_DEG_LAT = 111.195


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour, minute), tzinfo=TZ)


def place(station: Station, east_km: float = 0.0, north_km: float = 0.0) -> tuple[float, float]:
    lat = station.lat + north_km / KM_PER_DEG_LAT
    lng = station.lng + east_km / (KM_PER_DEG_LAT * math.cos(math.radians(station.lat)))
    return lat, lng


def job_at(
    station: Station,
    ctx: Ctx,
    east_km: float = 0.0,
    north_km: float = 0.0,
    *,
    kind: str = "delivery",
    window: tuple[datetime, datetime] | None = None,
    weight_g: int | None = None,
    address: str | None = None,
    postcode: str = "",
    located: bool = True,
    day: date = DAY,
) -> Job:
    lat, lng = place(station, east_km, north_km)
    side = "sender" if kind == "pickup" else "recipient"
    extra: dict[str, Any] = {"service_date": day, "recipient_postcode": postcode}
    extra.update({f"{side}_lat": lat if located else None, f"{side}_lng": lng if located else None})
    if address is not None:
        extra[f"{side}_address"] = address
    if window is not None:
        extra.update(window_start=window[0], window_end=window[1])
    if weight_g is not None:
        extra["declared_weight_g"] = weight_g
    return make_job(station, ctx, kind, **extra)


def given_to(job: Job, courier: Courier, ctx: Ctx) -> Job:
    return job_assign(job_id=job.pk, courier_id=courier.pk, ctx=ctx)


def standing_at(job: Job, courier_ctx: Ctx) -> Job:
    """The courier accepted, set off and arrived at ``job`` (a pickup: no station scan needed)."""
    job_accept(job_id=job.pk, ctx=courier_ctx)
    job_start(job_id=job.pk, ctx=courier_ctx)
    return job_arrive(job_id=job.pk, ctx=courier_ctx)


def refresh(job: Job) -> Job:
    return Job.objects.select_related("shipment").get(pk=job.pk)
