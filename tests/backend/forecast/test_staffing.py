"""Couriers needed from the forecast stops and the couriers' measured pace. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.forecast.nowcast import inbound_share, with_inbound
from backend.forecast.staffing import (
    DEFAULT_STOPS_PER_HOUR,
    Pace,
    courier_pace,
    couriers_needed,
    station_pace,
)

T0 = datetime(2026, 11, 24, 8, tzinfo=UTC)


def test_couriers_needed_is_the_stops_over_one_couriers_day_rounded_up() -> None:
    assert couriers_needed(160, 20.0, 8.0) == 1  # exactly one courier's day
    assert couriers_needed(161, 20.0, 8.0) == 2
    assert couriers_needed(1000, 12.5, 8.0) == 10
    assert couriers_needed(0, 12.5, 8.0) == 0


def test_a_couriers_pace_is_stops_over_the_hours_between_first_and_last_stop() -> None:
    day1 = [T0 + timedelta(minutes=6 * i) for i in range(41)]  # 41 stops over 4 hours
    day2 = [T0 + timedelta(days=1, minutes=i) for i in range(3)]  # 3 stops in 2 minutes: one hour
    pace = courier_pace(7, [day1, day2, []])
    assert (pace.stops, pace.hours) == (44, 5.0)
    assert pace.stops_per_hour == pytest.approx(8.8)


def test_the_station_pace_is_the_median_of_measured_couriers() -> None:
    paces = [Pace(1, 100, 10.0), Pace(2, 150, 10.0), Pace(3, 400, 10.0), Pace(4, 5, 0.5)]
    assert station_pace(paces) == (15.0, True)  # courier 4 has too few stops to be measured
    assert station_pace([Pace(4, 5, 0.5)]) == (DEFAULT_STOPS_PER_HOUR, False)


def test_tomorrow_is_what_is_known_plus_the_models_figure_for_the_rest() -> None:
    assert with_inbound(1000.0, 700, 0.7) == pytest.approx(1000.0)
    assert with_inbound(1000.0, 900, 0.7) == pytest.approx(1200.0)  # a big day shows in what is known
    assert with_inbound(1000.0, 1100, 1.0) == pytest.approx(1100.0)
    assert with_inbound(500.0, 800, None) == 800.0  # no share measured: never below what is known
    assert inbound_share([7] * 7, [10] * 7) == pytest.approx(0.7)
    assert inbound_share([7] * 6, [10] * 6) is None
