"""Station SZX (the origin of the shared pricing cases), its people, its published book, a pickup job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.couriers.models import Courier, Station
from backend.pickup import services
from backend.pickup.models import TariffBookVersion
from backend.shipments.models import Job
from backend.shipments.services import job_accept, job_assign, job_start
from tests.backend.api.conftest import Api
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person, make_courier, make_station, make_supervisor

CASES_PATH = Path(__file__).parents[3] / "parcelkit" / "rules" / "pricing_cases.json"
TABLE = json.loads(CASES_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def api() -> Api:
    return Api()


@pytest.fixture
def szx(db: None) -> Station:
    return make_station("SZX")


@pytest.fixture
def szx_supervisor(szx: Station) -> Person:
    return make_supervisor(szx)


@pytest.fixture
def szx_courier(szx: Station) -> tuple[Courier, Person]:
    return make_courier(szx)


@pytest.fixture
def szx_book(szx: Station, szx_supervisor: Person) -> TariffBookVersion:
    return services.tariff_book_publish(ctx=szx_supervisor.ctx, origin="SZX", book_json=TABLE["tariff_book"])


def started_pickup(
    station: Station, staff: Person, courier: tuple[Courier, Person], **shipment: object
) -> Job:
    """A pickup job assigned to ``courier``, accepted and started: ready to be completed at the door."""
    job = make_job(station, staff.ctx, "pickup", **shipment)
    job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=staff.ctx)
    job_accept(job_id=job.pk, ctx=courier[1].ctx)
    return job_start(job_id=job.pk, ctx=courier[1].ctx)
