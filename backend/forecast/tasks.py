"""Celery tasks of the forecast: take ids, call the one service, safe to run twice (it replaces
the night's run).

``forecast.compute_due`` is scheduled hourly with beat (settings); it acts for the stations where
it is ``FORECAST_HOUR`` local time, so each station's forecast is made on its own evening.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from backend.forecast.selectors import forecasts_due
from backend.forecast.services import forecast_compute


@shared_task(name="forecast.compute_due", ignore_result=True)
def compute_due() -> int:
    """Forecast every station where it is now the forecast hour."""
    now = timezone.now()
    due = forecasts_due(now)
    for station_id in due:
        forecast_compute(station_id=station_id, now=now)
    return len(due)


@shared_task(name="forecast.compute_station", ignore_result=True)
def compute_station(station_id: int) -> int:
    """Forecast one station again by hand."""
    return forecast_compute(station_id=station_id).pk
