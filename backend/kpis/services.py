"""The one write of the KPIs app: a station-day's roll-up, recomputed from the events and replaced."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.couriers.models import Station
from backend.kpis.models import KpiDay
from backend.kpis.selectors import kpi_day_figures


@transaction.atomic
def kpi_rollup(*, station_id: int, day: date, now: datetime | None = None) -> int:
    """Store the KPIs of ``day`` (the station's local date) for the station and each courier.

    Idempotent: the day's rows are recomputed from the event history and replace the old ones, so
    a second run (or a run after a late upload) leaves exactly what one run on today's data would.
    Two roll-ups of one station wait for each other on the station row (``FOR NO KEY UPDATE``,
    which does not block the foreign-key checks of the station's scans). Returns the rows written;
    ``not_found`` for an unknown station.
    """
    station = Station.objects.select_for_update(no_key=True).filter(pk=station_id).first()
    if station is None:
        raise DomainError("not_found", f"station {station_id} does not exist")
    figures = kpi_day_figures(station, day)
    computed_at = now or timezone.now()
    KpiDay.objects.filter(station_id=station.pk, day=day).delete()
    rows = [
        KpiDay(
            station_id=station.pk,
            courier_id=courier_id,
            day=day,
            metric=metric,
            numerator=n,
            denominator=d,
            computed_at=computed_at,
        )
        for (metric, courier_id), (n, d) in sorted(figures.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
    ]
    KpiDay.objects.bulk_create(rows)
    return len(rows)
