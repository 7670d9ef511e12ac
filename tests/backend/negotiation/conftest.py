"""A delivery out with its courier, failed once, and a negotiation offered about it; time frozen."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.couriers.models import Courier, Station
from backend.negotiation.models import Negotiation
from backend.negotiation.services import OptionInput, negotiation_offer
from backend.shipments import services as svc
from backend.shipments.models import Job
from tests.clock import station_tz
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

# The stations' zone (Asia/Shanghai unless the suite runs with --station-tz / PARCELRUN_TEST_STATION_TZ).
SH = ZoneInfo(station_tz())
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SH)


@pytest.fixture
def frozen() -> Iterator[datetime]:
    with time_machine.travel(NOW, tick=False):
        yield NOW


def failed_job(station: Station, supervisor: Person, courier: tuple[Courier, Person]) -> Job:
    job = make_job(station, supervisor.ctx)
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    svc.job_start(job_id=job.pk, ctx=courier[1].ctx)
    return svc.job_fail(job_id=job.pk, ctx=courier[1].ctx, reason_code="not_home")


def options() -> list[OptionInput]:
    return [
        OptionInput(
            key="w1",
            kind="window",
            text={"zh": "今天 14:00–15:00", "en": "Today 14:00–15:00"},
            window_start=NOW.replace(hour=14),
            window_end=NOW.replace(hour=15),
        ),
        OptionInput(
            key="st",
            kind="hold_station",
            text={"zh": "在站点自取", "en": "Collect at the station"},
        ),
        OptionInput(key="ret", kind="return", text={"zh": "退回寄件人", "en": "Return to sender"}),
    ]


def offer(job: Job, ctx: object, **overrides: object) -> Negotiation:
    args: dict[str, object] = {
        "job_id": job.pk,
        "ctx": ctx,
        "trigger": "failed_attempt",
        "reason_code": "not_home",
        "options": options(),
        "default_key": "w1",
        "deadline": NOW + timedelta(hours=2),
        "now": NOW,
    }
    args.update(overrides)
    return negotiation_offer(**args)  # type: ignore[arg-type]


@pytest.fixture
def job(frozen: datetime, station: Station, supervisor: Person, courier: tuple[Courier, Person]) -> Job:
    return failed_job(station, supervisor, courier)
