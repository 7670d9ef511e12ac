"""The lists that grow with the day run a fixed number of queries: 3 jobs or 30, the same count.

Each count is exact, so a new lazy relation in a serializer (one query per row) fails here. The
numbers: 1 to authenticate the token (with its user's courier/supervisor), then the endpoint's own.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.couriers.models import Courier, Station
from backend.couriers.selectors import station_today
from backend.shipments.services import job_assign
from tests.backend.api.conftest import Api
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person, make_courier

pytestmark = pytest.mark.django_db

SIZES = [3, 30]


def queries(api: Api, url: str, who: Person, **params: Any) -> int:
    api.get(url, who, **params)  # warm up: the token's last-used stamp is written at most once a minute
    with CaptureQueriesContext(connection) as ctx:
        r = api.get(url, who, **params)
    assert r.status_code == 200, r.json()
    return len(ctx.captured_queries)


def seed(station: Station, supervisor: Person, courier: Courier, n: int) -> None:
    today = station_today(station)
    for _ in range(n):
        job = make_job(station, supervisor.ctx, service_date=today)
        job_assign(job_id=job.pk, courier_id=courier.pk, ctx=supervisor.ctx)


@pytest.mark.parametrize("n", SIZES)
def test_the_couriers_day(
    n: int, api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    seed(station, supervisor, courier[0], n)
    # token, the station (for "today" in its time zone), the jobs with their shipments
    assert queries(api, "/api/v1/me/jobs", courier[1]) == 3


@pytest.mark.parametrize("n", SIZES)
def test_the_station_job_list(
    n: int, api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    seed(station, supervisor, courier[0], n)
    # token, the station by code, the count, the page with shipment and courier joined
    assert queries(api, f"/api/v1/stations/{station.code}/jobs", supervisor, page_size=50) == 4


@pytest.mark.parametrize("n", SIZES)
def test_the_station_couriers(n: int, api: Api, station: Station, supervisor: Person) -> None:
    for _ in range(n // 3):
        courier, _ = make_courier(station)
        seed(station, supervisor, courier, 3)
    # token, the station by code, the couriers with their counts aggregated in the same query
    assert queries(api, f"/api/v1/stations/{station.code}/couriers", supervisor) == 3
