"""The nightly forecast on rows written by the real services: the daily stops it learns from,
what is known of tomorrow, the stored run and its couriers needed, the nightly task."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from backend.forecast.models import ForecastDay, ForecastRun
from backend.forecast.selectors import daily_stops, known_for
from backend.forecast.services import forecast_compute
from backend.forecast.staffing import DEFAULT_STOPS_PER_HOUR, couriers_needed
from backend.forecast.tasks import compute_due
from tests.backend.forecast.conftest import D, History, local

pytestmark = pytest.mark.django_db


def test_stops_are_counted_per_station_local_day(history: History) -> None:
    got = daily_stops(history.station, D - timedelta(days=2), D)
    assert got == {"pickups": [0, 0, 0], "deliveries": [0, 3, 2]}


def test_what_is_known_of_tomorrow_counts_open_jobs_and_those_still_in_transit(history: History) -> None:
    known = known_for(history.station, history.tomorrow)
    assert (known.pickups, known.deliveries, known.deliveries_in_transit) == (1, 2, 1)


def test_the_forecast_is_stored_with_tomorrows_nowcast_and_the_couriers_it_needs(history: History) -> None:
    run = forecast_compute(station_id=history.station.pk, now=local(history.station, D, 22))
    days = list(run.days.order_by("day"))
    assert run.issued_on == D
    assert [d.day for d in days] == [D + timedelta(days=h) for h in range(1, 8)]
    assert run.method == "seasonal_naive"  # two days of history
    assert (run.stops_per_hour, run.capacity_measured) == (DEFAULT_STOPS_PER_HOUR, False)
    tomorrow = days[0]
    assert (tomorrow.deliveries_known, tomorrow.deliveries_in_transit, tomorrow.pickups_known) == (2, 1, 1)
    assert tomorrow.deliveries == max(2, tomorrow.deliveries_model)  # never below what is known
    assert tomorrow.pickups == 1  # no pickup history: what is booked
    for d in days:
        assert d.couriers_needed == couriers_needed(
            d.pickups + d.deliveries, run.stops_per_hour, run.shift_hours
        )
    assert days[1].deliveries_known == 0  # the nowcast is for tomorrow only
    assert set(run.backtest) == {"pickups", "deliveries"}


def test_a_second_run_the_same_night_replaces_the_first(history: History) -> None:
    forecast_compute(station_id=history.station.pk, now=local(history.station, D, 22))
    forecast_compute(station_id=history.station.pk, now=local(history.station, D, 23))
    assert ForecastRun.objects.filter(station=history.station).count() == 1
    assert ForecastDay.objects.filter(run__station=history.station).count() == 7


def test_the_nightly_task_forecasts_a_station_at_its_own_evening(history: History) -> None:
    with time_machine.travel(local(history.station, D, 21, 30), tick=False):
        assert compute_due() == 0
    with time_machine.travel(local(history.station, D, 22, 5), tick=False):
        assert compute_due() == 1
    assert ForecastRun.objects.get(station=history.station).issued_on == D


def test_the_nightly_run_is_in_the_beat_schedule() -> None:
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["forecast-compute-due"]
    assert entry["task"] == "forecast.compute_due" and entry["schedule"] == 3600.0
