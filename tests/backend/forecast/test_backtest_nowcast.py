"""The nightly backtest's next day is published as the night before would have: with the nowcast
from what each day had known on its eve. Pure."""

from __future__ import annotations

from datetime import date

import pytest

from backend.forecast.backtest import rolling_origin
from backend.forecast.services import BACKTEST_DAYS, _nowcast
from tests.backend.forecast.test_model import weekly


def test_with_everything_known_on_the_eve_the_next_day_is_exact() -> None:
    last_day = date(2026, 8, 20)
    series = weekly(last_day, 120)
    series[-10:] = [v * 2 for v in series[-10:]]  # a jump the model alone cannot foresee
    actual = [int(v) for v in series[-56:]]
    alone = rolling_origin(series, last_day, BACKTEST_DAYS)
    known = rolling_origin(series, last_day, BACKTEST_DAYS, _nowcast(actual, actual, len(series)))
    assert alone.mape_next_day is not None and alone.mape_next_day > 1
    assert known.mape_next_day == pytest.approx(0, abs=1e-9)
    assert known.mape_week is not None and alone.mape_week is not None and known.mape_week < alone.mape_week


def test_without_enough_days_before_the_origin_the_model_is_published() -> None:
    next_day = _nowcast([5] * 10, [10] * 10, 100)
    assert next_day(95, 42.0) == 42.0  # ten days of eve counts: no share yet
