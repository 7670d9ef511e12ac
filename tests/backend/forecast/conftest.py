"""A small station history made through the real services at frozen instants (so ``event_at``
and the jobs' ``created_at`` are what production would write)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.couriers.models import Courier, Station
from backend.shipments.services import job_assign, job_deliver, job_fail, job_start, scan
from backend.shipments.services.door_inputs import ProofInput
from tests.clock import FIXTURE_DAY
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

D = FIXTURE_DAY
PROOF = ProofInput(
    method="signature",
    recipient_relation="self",
    recipient_name="李四",
    media_sha256=["a" * 64],
    lat=30.29,
    lng=120.14,
)


def local(station: Station, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, dtime(hour, minute), tzinfo=ZoneInfo(station.time_zone))


@dataclass
class History:
    station: Station
    tomorrow: date


def _delivery(
    station: Station, supervisor: Person, courier: Courier, person: Person, day: date, fail: bool
) -> None:
    with time_machine.travel(local(station, day, 8), tick=False):
        job = make_job(station, supervisor.ctx, service_date=day)
        scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
        job = job_assign(job_id=job.pk, courier_id=courier.pk, ctx=supervisor.ctx)
    with time_machine.travel(local(station, day, 9), tick=False):
        job = job_start(job_id=job.pk, ctx=person.ctx)
    with time_machine.travel(local(station, day, 10), tick=False):
        if fail:
            job_fail(job_id=job.pk, ctx=person.ctx, reason_code="not_home")
        else:
            job_deliver(job_id=job.pk, ctx=person.ctx, proof=PROOF)


@pytest.fixture
def history(station: Station, supervisor: Person, courier: tuple[Courier, Person]) -> History:
    """D−1: three deliveries (one failed at the door); D: two delivered. Known of D+1 by the
    evening of D: two delivery jobs (one scanned in at the station, one still in transit) and a
    pickup booked."""
    alice, person = courier
    for fail in (False, False, True):
        _delivery(station, supervisor, alice, person, D - timedelta(days=1), fail)
    for fail in (False, False):
        _delivery(station, supervisor, alice, person, D, fail)
    tomorrow = D + timedelta(days=1)
    with time_machine.travel(local(station, D, 18), tick=False):
        arrived = make_job(station, supervisor.ctx, service_date=tomorrow)
        scan(tracking_no=arrived.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
        make_job(station, supervisor.ctx, service_date=tomorrow)  # manifested upstream, not here yet
        make_job(station, supervisor.ctx, "pickup", service_date=tomorrow)
    return History(station=station, tomorrow=tomorrow)
