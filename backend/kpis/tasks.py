"""Celery tasks of the KPIs: take ids, call the one service, safe to run twice (it replaces the day).

``kpis.rollup_due`` is scheduled hourly with beat (settings); it acts for the stations where it is
the roll-up hour, so each station's days are closed at its own night, whatever its time zone.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.utils import timezone

from backend.kpis.selectors import rollups_due
from backend.kpis.services import kpi_rollup


@shared_task(name="kpis.rollup_due", ignore_result=True)
def rollup_due() -> int:
    """Roll up the last closed days of every station where it is now the roll-up hour."""
    due = rollups_due(timezone.now())
    for station_id, day in due:
        kpi_rollup(station_id=station_id, day=day)
    return len(due)


@shared_task(name="kpis.rollup_day", ignore_result=True)
def rollup_day(station_id: int, day: str) -> int:
    """Roll up one station-day again by hand (``day`` as YYYY-MM-DD)."""
    return kpi_rollup(station_id=station_id, day=date.fromisoformat(day))
