"""The volume model: one daily series (a station's pickups or deliveries) in, the next days out.
Pure: numbers and dates, no database.

Two stages, both statsmodels:

1. A weighted regression (``WLS``) of ``log(1 + count)`` on the day of the week, the yearly
   cycle (Fourier terms, once a year of history exists), a linear trend and the calendar columns
   of ``holidays.py``. Working on the log makes every effect a factor ("Mondays are +20 %",
   "the day after 11.11 is ×2.1"), which is how a station's volume scales. Recent days weigh more
   (half-life ``HALF_LIFE_DAYS``), so an old level or an old weekly shape fades.
2. Simple exponential smoothing of the regression's recent residuals: the level the station is
   at *now*. A trend break (a new customer, a lost contract) shows in the residuals first, and
   the smoothed level carries it into the next days instead of waiting for the regression.

A series that is exactly a weekly pattern is reproduced exactly (the regression fits it with no
residual, and no residual leaves no level to add): the known-answer test.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from statsmodels.regression.linear_model import WLS
from statsmodels.tsa.holtwinters import SimpleExpSmoothing

from backend.forecast.holidays import COLUMNS, calendar_row

MIN_DAYS = 21  # below three weeks the weekly shape is guesswork: seasonal naive instead
YEARLY_FROM = 365  # the yearly cycle is fitted only once a whole year is seen
YEARLY_TERMS = 3
HALF_LIFE_DAYS = 365.0
LEVEL_WINDOW = 120  # residual days the level is smoothed over


@dataclass(frozen=True)
class Fit:
    """What the model said for ``horizon`` days after the history's last day."""

    values: list[float]
    method: str  # "regression+level" or "seasonal_naive" (too little history)


def _design(days: Sequence[date], origin: date, yearly: bool, calendar: Sequence[int]) -> np.ndarray:
    rows = []
    for d in days:
        t = (d - origin).days
        row = [1.0, t / 365.0]
        row += [1.0 if d.weekday() == k else 0.0 for k in range(1, 7)]
        if yearly:
            angle = 2 * math.pi * d.timetuple().tm_yday / 365.25
            for k in range(1, YEARLY_TERMS + 1):
                row += [math.sin(k * angle), math.cos(k * angle)]
        cal = calendar_row(d)
        row += [cal[i] for i in calendar]
        rows.append(row)
    return np.asarray(rows, dtype=float)


def seasonal_naive(history: Sequence[float], horizon: int) -> list[float]:
    """The baseline: the same weekday of the last week seen (or the last value, under a week)."""
    if len(history) < 7:
        return [float(history[-1]) if history else 0.0] * horizon
    return [float(history[len(history) - 7 + (h % 7)]) for h in range(horizon)]


def forecast(history: Sequence[float], last_day: date, horizon: int) -> Fit:
    """Forecast the ``horizon`` days after ``last_day`` from daily counts ending on ``last_day``."""
    n = len(history)
    if n < MIN_DAYS:
        return Fit(seasonal_naive(history, horizon), "seasonal_naive")
    first_day = last_day - timedelta(days=n - 1)
    past = [first_day + timedelta(days=i) for i in range(n)]
    future = [last_day + timedelta(days=h) for h in range(1, horizon + 1)]
    # A calendar column that never happens in the history has nothing to learn from: left out
    # (its effect counts as none), which also keeps the regression of full rank.
    seen = np.asarray([calendar_row(d) for d in past], dtype=float)
    calendar = [i for i in range(len(COLUMNS)) if seen[:, i].any()]
    yearly = n >= YEARLY_FROM
    x_past = _design(past, first_day, yearly, calendar)
    x_future = _design(future, first_day, yearly, calendar)
    z = np.log1p(np.maximum(np.asarray(history, dtype=float), 0.0))
    weights = 0.5 ** ((n - 1 - np.arange(n)) / HALF_LIFE_DAYS)
    params = _regress(z, x_past, weights)
    residuals = z - x_past @ params
    level = _level(residuals[-LEVEL_WINDOW:])
    values = np.expm1(x_future @ params + level)
    return Fit([max(0.0, float(v)) for v in values], "regression+level")


def _regress(z: np.ndarray, x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The regression's coefficients: QR (fast), or the pseudo-inverse when two columns coincide
    in this history (QR then blows up; the pseudo-inverse splits their effect between them)."""
    params = np.asarray(WLS(z, x, weights=weights).fit(method="qr").params)
    if not np.all(np.isfinite(params)) or float(np.abs(params).max()) > 1e6:
        params = np.asarray(WLS(z, x, weights=weights).fit(method="pinv").params)
    return params


def _level(residuals: np.ndarray) -> float:
    """The smoothed last level of the residuals (0 when they are all but zero)."""
    if residuals.size < 2 or float(np.abs(residuals).max()) < 1e-9:
        return 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter on short or flat residuals
        smoothed = SimpleExpSmoothing(residuals, initialization_method="known", initial_level=0.0).fit()
    return float(smoothed.forecast(1)[0])
