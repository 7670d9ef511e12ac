"""Rolling-origin backtest: how wrong the model would have been, against seasonal naive. Pure.

At every origin of the held-back period the model sees only the days up to the origin and
forecasts the next seven; its error is compared with seasonal naive's (the same weekday a week
before) on the same days. MAPE skips days with no volume (a percentage of nothing is undefined).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from backend.forecast.model import forecast, seasonal_naive

HORIZON = 7

# (index of the target day in the series, the model's value) → the value published for tomorrow
# (the nowcast: what is already inbound adjusts the next day).
NextDay = Callable[[int, float], float]


@dataclass(frozen=True)
class Backtest:
    origins: int
    mape_next_day: float | None  # percent
    naive_next_day: float | None
    mape_week: float | None  # over horizons 1..7
    naive_week: float | None


def _ape(actual: float, predicted: float) -> float | None:
    return abs(actual - predicted) / actual * 100 if actual > 0 else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def rolling_origin(
    series: Sequence[float], last_day: date, holdout: int, next_day: NextDay | None = None
) -> Backtest:
    """Backtest the last ``holdout`` days of ``series`` (daily counts ending on ``last_day``)."""
    n = len(series)
    first_origin = max(n - holdout - 1, 7)
    errors: dict[str, list[float]] = {"m1": [], "n1": [], "m7": [], "n7": []}
    origins = 0
    for origin in range(first_origin, n - 1):
        history = series[: origin + 1]
        day = last_day - timedelta(days=n - 1 - origin)
        horizon = min(HORIZON, n - 1 - origin)
        model = forecast(history, day, horizon).values
        if next_day is not None:
            model[0] = next_day(origin + 1, model[0])
        naive = seasonal_naive(history, horizon)
        origins += 1
        for h in range(horizon):
            actual = float(series[origin + 1 + h])
            m, s = _ape(actual, model[h]), _ape(actual, naive[h])
            if m is None or s is None:
                continue
            if h == 0:
                errors["m1"].append(m)
                errors["n1"].append(s)
            errors["m7"].append(m)
            errors["n7"].append(s)
    return Backtest(
        origins=origins,
        mape_next_day=_mean(errors["m1"]),
        naive_next_day=_mean(errors["n1"]),
        mape_week=_mean(errors["m7"]),
        naive_week=_mean(errors["n7"]),
    )
