"""The volume model on series whose answer is known. Pure: no database, no clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.forecast.backtest import rolling_origin
from backend.forecast.model import MIN_DAYS, forecast, seasonal_naive

WEEK = (100.0, 120.0, 130.0, 125.0, 140.0, 60.0, 40.0)  # Monday … Sunday


def weekly(last_day: date, days: int) -> list[float]:
    first = last_day - timedelta(days=days - 1)
    return [WEEK[(first + timedelta(days=i)).weekday()] for i in range(days)]


def expected(last_day: date, horizon: int) -> list[float]:
    return [WEEK[(last_day + timedelta(days=h)).weekday()] for h in range(1, horizon + 1)]


@pytest.mark.parametrize(
    ("last_day", "days"),
    [
        (date(2026, 10, 20), 70),  # ten weeks over National Day: holiday columns are fitted, weigh nothing
        (date(2026, 11, 8), 420),  # over a year: the yearly cycle is fitted too, and 11.11 lies ahead
    ],
)
def test_a_pure_weekly_pattern_is_forecast_exactly(last_day: date, days: int) -> None:
    fit = forecast(weekly(last_day, days), last_day, 7)
    assert fit.method == "regression+level"
    assert fit.values == pytest.approx(expected(last_day, 7), abs=1e-6)


def test_under_three_weeks_of_history_it_repeats_last_week() -> None:
    last_day = date(2026, 11, 20)
    history = weekly(last_day, MIN_DAYS - 1)
    fit = forecast(history, last_day, 7)
    assert fit.method == "seasonal_naive"
    assert fit.values == expected(last_day, 7)


def test_seasonal_naive_repeats_the_same_weekday_of_the_week_before() -> None:
    assert seasonal_naive([1, 2, 3, 4, 5, 6, 7, 8, 9], 3) == [3.0, 4.0, 5.0]
    assert seasonal_naive([5.0], 2) == [5.0, 5.0]


def test_a_step_in_the_level_is_carried_into_the_next_days() -> None:
    last_day = date(2026, 8, 20)  # no holiday in the last weeks or the next: the step alone
    history = weekly(last_day, 140)
    history[-21:] = [v * 1.3 for v in history[-21:]]  # a new merchant three weeks ago
    fit = forecast(history, last_day, 7)
    ratios = [f / e for f, e in zip(fit.values, expected(last_day, 7), strict=True)]
    assert all(1.27 < r < 1.35 for r in ratios)


def test_the_backtest_finds_no_error_on_a_pure_weekly_pattern() -> None:
    last_day = date(2026, 6, 30)
    result = rolling_origin(weekly(last_day, 63), last_day, 14)
    assert result.origins == 14
    assert result.mape_next_day == pytest.approx(0, abs=1e-6)
    assert result.naive_next_day == pytest.approx(0, abs=1e-6)
    assert result.mape_week == pytest.approx(0, abs=1e-6)
