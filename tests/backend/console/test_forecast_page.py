"""The console's forecast page: the stored week, the chart's data, a supervisor's own station
only. The clock is 10:00 at the station on the fixture day (conftest)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from backend.couriers.models import Station
from backend.couriers.selectors import station_today
from backend.forecast.selectors import CHART_DAYS
from backend.forecast.services import HORIZON, forecast_compute
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def test_before_the_first_night_the_page_says_there_is_no_forecast(
    client: Client, station: Station, supervisor: Person
) -> None:
    client.force_login(supervisor.user)
    html = client.get(f"/console/{station.code}/forecast/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="forecast-none"' in html and "还没有预测" in html


def test_the_page_shows_the_stored_week_with_couriers_needed(
    client: Client, station: Station, supervisor: Person
) -> None:
    tomorrow = station_today(station, timezone.now()) + timedelta(days=1)
    make_job(station, supervisor.ctx, service_date=tomorrow)  # manifested upstream, in transit
    forecast_compute(station_id=station.pk, now=timezone.now())
    client.force_login(supervisor.user)
    response = client.get(f"/console/{station.code}/forecast/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="couriers-needed"') == HORIZON
    assert "(1 in transit)" in html
    chart = json.loads(
        html.split('id="forecast-chart-data" type="application/json">')[1].split("</script>")[0]
    )
    assert len(chart["x"]) == CHART_DAYS + HORIZON
    assert chart["deliveries_forecast"][-1] is not None and chart["deliveries"][-1] is None


def test_another_stations_supervisor_gets_not_found(
    client: Client, station: Station, other_supervisor: Person
) -> None:
    client.force_login(other_supervisor.user)
    assert client.get(f"/console/{station.code}/forecast/").status_code == 404
