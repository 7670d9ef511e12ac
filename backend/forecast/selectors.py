"""Reads for the forecast: a station's daily stops (the history the model learns from), what is
known of tomorrow, the couriers' pace, and the stored forecast as the page and the API show it.

A day is the station's local date of the event's device time (``event_at``), as for the KPIs
(docs/kpis.md). A stop is a delivery or a failed delivery of a delivery job, or a pickup or a
failed pickup of a pickup job; each parcel counts once a day per kind (two failed attempts on one
day are one stop). Events are found through their jobs' service dates (an index), as the KPIs do.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Subquery
from django.db.models.functions import TruncDate

from backend.couriers.models import Courier, Station
from backend.forecast.models import ForecastDay, ForecastRun
from backend.forecast.staffing import Pace, courier_pace
from backend.shipments.models import Job, TrackingEvent
from backend.shipments.states import EventKind, JobKind, JobStatus, ShipmentStatus

# A job's stops happen within this many days of its service date (retries, late uploads).
SLACK = timedelta(days=7)
STOPS = Q(kind__in=[EventKind.DELIVERED, EventKind.DELIVERY_ATTEMPT], job__kind=JobKind.DELIVERY) | Q(
    kind__in=[EventKind.PICKUP_SCAN, EventKind.PICKUP_FAILED], job__kind=JobKind.PICKUP
)
OPEN = [JobStatus.PENDING, JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.STARTED, JobStatus.ARRIVED]
# The nightly run happens at this local hour; "known on the eve" means known by then.
FORECAST_HOUR = 22
CHART_DAYS = 56


def local_instant(day: date, hour: int, time_zone: str) -> datetime:
    return datetime.combine(day, dtime(hour), tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def _stop_events(station: Station, first: date, last: date) -> Any:
    start = local_instant(first, 0, station.time_zone)
    end = local_instant(last + timedelta(days=1), 0, station.time_zone)
    jobs = Job.objects.filter(
        station_id=station.pk, service_date__range=(first - SLACK, last + SLACK)
    ).values("pk")
    return TrackingEvent.objects.filter(
        STOPS, job_id__in=Subquery(jobs), event_at__gte=start, event_at__lt=end
    )


def daily_stops(station: Station, first: date, last: date) -> dict[str, list[int]]:
    """Stops per day from ``first`` to ``last`` (inclusive): ``{"pickups": [...], "deliveries": [...]}``,
    one count per day, days without stops as 0. One query."""
    zone = ZoneInfo(station.time_zone)
    rows = (
        _stop_events(station, first, last)
        .annotate(day=TruncDate("event_at", tzinfo=zone))
        .values("day", "job__kind")
        .annotate(n=Count("shipment_id", distinct=True))
        .order_by()
    )
    length = (last - first).days + 1
    out = {"pickups": [0] * length, "deliveries": [0] * length}
    for r in rows:
        key = "pickups" if r["job__kind"] == JobKind.PICKUP else "deliveries"
        out[key][(r["day"] - first).days] = r["n"]
    return out


def known_on_eve(station: Station, first: date, last: date) -> dict[str, list[int]]:
    """Of each day's stops, those whose job existed on the eve at ``FORECAST_HOUR``: what the
    nowcast would have known. Same shape as ``daily_stops``. One query."""
    zone = ZoneInfo(station.time_zone)
    rows = (
        _stop_events(station, first, last)
        .values_list("event_at", "job__kind", "job__created_at", "shipment_id")
        .order_by()
    )
    length = (last - first).days + 1
    seen: dict[str, set[tuple[int, int]]] = {"pickups": set(), "deliveries": set()}
    for event_at, kind, created_at, shipment_id in rows:
        day = event_at.astimezone(zone).date()
        if created_at < local_instant(day - timedelta(days=1), FORECAST_HOUR, station.time_zone):
            key = "pickups" if kind == JobKind.PICKUP else "deliveries"
            seen[key].add(((day - first).days, shipment_id))
    out = {"pickups": [0] * length, "deliveries": [0] * length}
    for key, pairs in seen.items():
        for index, _ in pairs:
            out[key][index] += 1
    return out


@dataclass(frozen=True)
class Known:
    pickups: int  # pickup jobs booked for the day, still open
    deliveries: int  # delivery jobs for the day (or overdue), still open
    deliveries_in_transit: int  # of those, parcels not yet at the station (manifested upstream)


def known_for(station: Station, day: date) -> Known:
    """What is already known of ``day``'s work: open jobs due that day or up to three days
    overdue. One query."""
    rows = (
        Job.objects.filter(
            station_id=station.pk, service_date__range=(day - timedelta(days=3), day), status__in=OPEN
        )
        .values("kind")
        .annotate(n=Count("pk"), in_transit=Count("pk", filter=Q(shipment__status=ShipmentStatus.CREATED)))
        .order_by()
    )
    by_kind: dict[str, dict[str, int]] = {
        r["kind"]: {"n": r["n"], "in_transit": r["in_transit"]} for r in rows
    }
    pickups = by_kind.get(JobKind.PICKUP, {})
    deliveries = by_kind.get(JobKind.DELIVERY, {})
    return Known(
        pickups=pickups.get("n", 0),
        deliveries=deliveries.get("n", 0),
        deliveries_in_transit=deliveries.get("in_transit", 0),
    )


def courier_paces(station: Station, first: date, last: date) -> list[tuple[Courier, Pace]]:
    """Each courier of the station with their pace over the days ``first``–``last``. Two queries."""
    zone = ZoneInfo(station.time_zone)
    rows = (
        _stop_events(station, first, last).filter(actor_id__isnull=False).values_list("actor_id", "event_at")
    )
    days: dict[int, dict[date, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    for actor_id, event_at in rows.order_by():
        days[actor_id][event_at.astimezone(zone).date()].append(event_at)
    couriers = Courier.objects.filter(station_id=station.pk).order_by("employee_no")
    return [(c, courier_pace(c.pk, list(days[c.user_id].values()))) for c in couriers]


def forecasts_due(now: datetime) -> list[int]:
    """Ids of the stations where it is ``FORECAST_HOUR`` local time at ``now``."""
    return [
        pk
        for pk, zone in Station.objects.order_by("pk").values_list("pk", "time_zone")
        if now.astimezone(ZoneInfo(zone)).hour == FORECAST_HOUR
    ]


@dataclass(frozen=True)
class ForecastPage:
    station: Station
    run: ForecastRun | None
    days: list[ForecastDay]
    history_first: date
    history: dict[str, list[int]]  # the last CHART_DAYS days, up to the run's day (or today)

    def chart(self) -> dict[str, Any]:
        """History and forecast for the page's chart: x in seconds at each day's midnight *as if
        UTC* (the chart draws in UTC, so a point sits on its day's tick in any browser zone);
        history series hold None on forecast days and the reverse."""
        n = len(self.history["deliveries"])
        past = [self.history_first + timedelta(days=i) for i in range(n)]
        ahead = [d.day for d in self.days]
        x = [int(datetime.combine(d, dtime(0), tzinfo=UTC).timestamp()) for d in past + ahead]
        blank_past: list[int | None] = [None] * n
        blank_ahead: list[int | None] = [None] * len(ahead)
        return {
            "x": x,
            "deliveries": [*self.history["deliveries"], *blank_ahead],
            "pickups": [*self.history["pickups"], *blank_ahead],
            "deliveries_forecast": [*blank_past, *(d.deliveries for d in self.days)],
            "pickups_forecast": [*blank_past, *(d.pickups for d in self.days)],
        }


def forecast_latest(station: Station) -> tuple[ForecastRun | None, list[ForecastDay]]:
    """The station's most recent stored forecast and its days. Two queries."""
    run = ForecastRun.objects.filter(station_id=station.pk).order_by("-issued_on").first()
    return run, (list(run.days.order_by("day")) if run else [])


def forecast_page(*, station: Station, today: date) -> ForecastPage:
    """The stored forecast with the history before it (the last ``CHART_DAYS`` days)."""
    run, days = forecast_latest(station)
    last = run.issued_on if run else today
    first = last - timedelta(days=CHART_DAYS - 1)
    return ForecastPage(
        station=station, run=run, days=days, history_first=first, history=daily_stops(station, first, last)
    )
