"""The console's KPI page: today live, the 14-day trend from the roll-up, the courier ranking; a
supervisor's own station only. The clock is 10:00 at the station on the fixture day (conftest)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.couriers.models import Courier, Station
from backend.kpis.models import KpiDay, Metric
from backend.kpis.selectors import kpi_page
from backend.shipments.models import Job
from backend.shipments.services import job_assign, job_deliver, job_start, scan
from backend.shipments.services.door_inputs import ProofInput
from tests.clock import FIXTURE_DAY
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person, make_courier

pytestmark = pytest.mark.django_db
D = FIXTURE_DAY
PROOF = ProofInput(method="code", recipient_relation="self", code="1234", lat=30.29, lng=120.14)


def local(station: Station, hour: int, minute: int = 0, day: date = D) -> datetime:
    return datetime.combine(day, dtime(hour, minute), tzinfo=ZoneInfo(station.time_zone))


def delivered_at(
    station: Station, supervisor: Person, courier: tuple[Courier, Person], when: datetime
) -> Job:
    """A parcel promised 07:00–12:00 today, delivered by ``courier`` at ``when`` (device time)."""
    who, person = courier
    job = make_job(
        station,
        supervisor.ctx,
        promised_start=local(station, 7),
        promised_end=local(station, 12),
        delivery_code="1234",
    )
    scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    job_assign(job_id=job.pk, courier_id=who.pk, ctx=supervisor.ctx)
    job_start(job_id=job.pk, ctx=person.ctx)
    return job_deliver(job_id=job.pk, ctx=dataclasses.replace(person.ctx, event_at=when), proof=PROOF)


def test_the_page_shows_today_live_the_trend_and_the_ranking(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    alice = courier[0]
    delivered_at(station, supervisor, courier, local(station, 9, 30))
    # Three days ago, from the roll-up: Alice 3 on time of 4; the station 3 of 5.
    for who, n, d in ((alice, 3, 4), (None, 3, 5)):
        KpiDay.objects.create(
            station=station,
            courier=who,
            day=D - timedelta(days=3),
            metric=Metric.ON_TIME,
            numerator=n,
            denominator=d,
            computed_at=timezone.now(),
        )
    client.force_login(supervisor.user)
    response = client.get(f"/console/{station.code}/kpis/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-metric="on_time"' in html and "100.0%" in html and "1 / 1" in html
    chart = json.loads(html.split('id="kpi-chart-data" type="application/json">')[1].split("</script>")[0])
    assert len(chart["x"]) == 14
    on_time = next(s for s in chart["series"] if s["metric"] == "on_time")["values"]
    assert on_time[-1] == 100.0 and on_time[-4] == 60.0 and on_time[0] is None  # today live; D-3 = 3/5
    # The ranking sums the 14 days: Alice (3 + 1) of (4 + 1) on time = 80 %.
    assert f'data-courier="{alice.pk}"' in html and "80.0%" in html and alice.name in html
    assert "uPlot.iife.min.js" in html and "kpis.js" in html


def test_the_page_speaks_chinese_by_default(client: Client, station: Station, supervisor: Person) -> None:
    client.force_login(supervisor.user)
    html = client.get(f"/console/{station.code}/kpis/").content.decode()
    assert "准时率" in html and "快递员排名" in html


def test_a_supervisor_sees_nothing_of_another_station_s_kpis(
    client: Client, station: Station, other_station: Station, supervisor: Person, other_supervisor: Person
) -> None:
    theirs = make_courier(other_station)
    delivered_at(other_station, other_supervisor, theirs, local(other_station, 9))
    KpiDay.objects.create(
        station=other_station,
        courier=theirs[0],
        day=D - timedelta(days=1),
        metric=Metric.ON_TIME,
        numerator=7,
        denominator=7,
        computed_at=timezone.now(),
    )
    client.force_login(supervisor.user)
    assert client.get(f"/console/{other_station.code}/kpis/").status_code == 404
    own = client.get(f"/console/{station.code}/kpis/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert theirs[0].name not in own and f'data-courier="{theirs[0].pk}"' not in own
    assert "1 / 1" not in own and "100.0%" not in own  # their delivery is not in our figures


def test_an_admin_opens_any_station_s_kpis_and_a_courier_none(
    client: Client, other_station: Station, admin: Person, courier: tuple[Courier, Person]
) -> None:
    client.force_login(admin.user)
    assert client.get(f"/console/{other_station.code}/kpis/").status_code == 200
    client.force_login(courier[1].user)
    assert client.get(f"/console/{other_station.code}/kpis/").status_code == 404


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_day_s_size(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            kpi_page(station=station, now=timezone.now())
        return len(ctx.captured_queries)

    delivered_at(station, supervisor, courier, local(station, 9))
    small = count()
    other = make_courier(station)
    for minute in (10, 20, 30):
        delivered_at(station, supervisor, other, local(station, 9, minute))
    with time_machine.travel(local(station, 10), tick=False):
        assert count() == small
