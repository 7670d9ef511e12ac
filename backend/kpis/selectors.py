"""Reads for the KPIs: parcels' histories for a station-day, today's live figures, the 14-day trend
and the courier ranking. Each read is a fixed number of queries whatever the station's size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q, Subquery, Sum

from backend.couriers.models import Courier, Station
from backend.couriers.selectors import station_today
from backend.kpis.metrics import (
    LOWER_IS_BETTER,
    Event,
    Key,
    Negotiated,
    Parcel,
    Proof,
    Window,
    day_figures,
    ratio,
)
from backend.kpis.models import KpiDay, Metric
from backend.negotiation.models import Consent
from backend.shipments.models import Job, ProofOfDelivery, Shipment, TrackingEvent
from backend.shipments.states import EventKind
from backend.sync.models import Attachment

# Parcels are found through their jobs' service dates (an index), not by scanning every event of
# the station: a parcel whose job's service date is further than this from the day is not seen.
LOOKBACK = timedelta(days=7)
LOOKAHEAD = timedelta(days=1)
TREND_DAYS = 14
# The nightly roll-up runs in this local hour at each station, and recomputes this many closed
# days: a handheld that was offline uploads yesterday's deliveries today, and they belong to yesterday.
ROLLUP_HOUR = 2
ROLLUP_DAYS = 3
CHART_METRICS = (
    Metric.ON_TIME,
    Metric.FIRST_ATTEMPT,
    Metric.PICKUP_ON_TIME,
    Metric.SCAN_TIMELY,
    Metric.PROOF_COMPLETE,
    Metric.CONSENT_COMPLETE,
    Metric.MIS_SORT,
)


def day_bounds(day: date, time_zone: str) -> tuple[datetime, datetime]:
    """The UTC instants of the station's local day (23 or 25 hours long on a DST change)."""
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, dtime(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), dtime(0), tzinfo=zone).astimezone(UTC)
    return start, end


def parcels_for_day(station: Station, day: date) -> list[Parcel]:
    """The whole histories of the station's parcels with at least one event (device time) on ``day``.

    Eight queries: the parcels, their shipments, events, jobs, consents, proofs, the received
    images and the couriers named.
    """
    start, end = day_bounds(day, station.time_zone)
    candidates = Job.objects.filter(
        station_id=station.pk, service_date__range=(day - LOOKBACK, day + LOOKAHEAD)
    ).values("shipment_id")
    ids = list(
        TrackingEvent.objects.filter(
            shipment_id__in=Subquery(candidates), event_at__gte=start, event_at__lt=end
        )
        .values_list("shipment_id", flat=True)
        .distinct()
    )
    if not ids:
        return []
    shipments = list(
        Shipment.objects.filter(pk__in=ids, station_id=station.pk).values(
            "pk", "station_id", "promised_start", "promised_end"
        )
    )
    events = list(
        TrackingEvent.objects.filter(shipment_id__in=ids).values(
            "shipment_id", "job_id", "kind", "event_at", "received_at", "actor_id", "station_id", "details"
        )
    )
    jobs = list(
        Job.objects.filter(shipment_id__in=ids).values(
            "pk", "shipment_id", "kind", "window_start", "window_end"
        )
    )
    consents = list(
        Consent.objects.filter(shipment_id__in=ids).values(
            "pk", "shipment_id", "option_kind", "answered_at", "window_start", "window_end"
        )
    )
    proofs = list(
        ProofOfDelivery.objects.filter(job__shipment_id__in=ids).values(
            "job_id", "job__shipment_id", "method", "lat", "lng", "media_sha256"
        )
    )
    named = {sha for p in proofs for sha in (p["media_sha256"] or []) if isinstance(sha, str)}
    received = set(
        Attachment.objects.filter(sha256__in=named, complete=True).values_list("sha256", flat=True)
    )
    couriers = _couriers_named(events)
    return _assemble(shipments, events, jobs, consents, proofs, received, couriers)


def _couriers_named(events: Sequence[Mapping[str, Any]]) -> tuple[dict[int, int], dict[str, int]]:
    """Courier ids by user id (who recorded an event) and by employee number (who got a job)."""
    users = {e["actor_id"] for e in events if e["actor_id"] is not None}
    numbers = {
        str(e["details"].get("courier"))
        for e in events
        if e["kind"] == EventKind.JOB_ASSIGNED
        and isinstance(e["details"], dict)
        and e["details"].get("courier")
    }
    rows = Courier.objects.filter(Q(user_id__in=users) | Q(employee_no__in=numbers)).values_list(
        "pk", "user_id", "employee_no"
    )
    by_user: dict[int, int] = {}
    by_number: dict[str, int] = {}
    for pk, user_id, number in rows:
        by_user[user_id] = pk
        by_number[number] = pk
    return by_user, by_number


def _assemble(
    shipments: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    jobs: Sequence[Mapping[str, Any]],
    consents: Sequence[Mapping[str, Any]],
    proofs: Sequence[Mapping[str, Any]],
    received: set[str],
    couriers: tuple[dict[int, int], dict[str, int]],
) -> list[Parcel]:
    by_user, by_number = couriers
    events_of: dict[int, list[Event]] = defaultdict(list)
    for e in events:
        details = e["details"] if isinstance(e["details"], dict) else {}
        to_courier = (
            by_number.get(str(details.get("courier"))) if e["kind"] == EventKind.JOB_ASSIGNED else None
        )
        events_of[e["shipment_id"]].append(
            Event(
                kind=e["kind"],
                event_at=e["event_at"],
                received_at=e["received_at"],
                job_id=e["job_id"],
                courier_id=by_user.get(e["actor_id"]) if e["actor_id"] is not None else None,
                station_id=e["station_id"],
                to_courier_id=to_courier,
                details=details,
            )
        )
    kinds_of: dict[int, dict[int, str]] = defaultdict(dict)
    windows_of: dict[int, dict[int, Window]] = defaultdict(dict)
    for j in jobs:
        kinds_of[j["shipment_id"]][j["pk"]] = j["kind"]
        windows_of[j["shipment_id"]][j["pk"]] = Window(j["window_start"], j["window_end"])
    negotiated_of: dict[int, list[Negotiated]] = defaultdict(list)
    consents_of: dict[int, dict[int, str]] = defaultdict(dict)
    for c in consents:
        consents_of[c["shipment_id"]][c["pk"]] = c["option_kind"]
        if c["window_end"] is not None:
            negotiated_of[c["shipment_id"]].append(
                Negotiated(answered_at=c["answered_at"], window=Window(c["window_start"], c["window_end"]))
            )
    proofs_of: dict[int, dict[int, Proof]] = defaultdict(dict)
    for p in proofs:
        media = [sha for sha in (p["media_sha256"] or []) if isinstance(sha, str)]
        proofs_of[p["job__shipment_id"]][p["job_id"]] = Proof(
            method=p["method"],
            located=p["lat"] is not None and p["lng"] is not None,
            media_named=len(media),
            media_received=len([sha for sha in media if sha in received]),
        )
    return [
        Parcel(
            shipment_id=s["pk"],
            station_id=s["station_id"],
            promised=Window(s["promised_start"], s["promised_end"]),
            job_kinds=kinds_of[s["pk"]],
            job_windows=windows_of[s["pk"]],
            events=events_of[s["pk"]],
            negotiated=negotiated_of[s["pk"]],
            proofs=proofs_of[s["pk"]],
            consents=consents_of[s["pk"]],
        )
        for s in shipments
    ]


def kpi_day_figures(station: Station, day: date) -> dict[Key, tuple[int, int]]:
    """The day's figures computed from the events now (what the roll-up stores; today's live figures)."""
    return day_figures(parcels_for_day(station, day), day, station.time_zone)


def rollups_due(now: datetime) -> list[tuple[int, date]]:
    """(station id, day) pairs the nightly roll-up should (re)compute at ``now``: the last
    ``ROLLUP_DAYS`` closed days of each station whose local time is in ``ROLLUP_HOUR``."""
    due: list[tuple[int, date]] = []
    for pk, time_zone in Station.objects.order_by("pk").values_list("pk", "time_zone"):
        local = now.astimezone(ZoneInfo(time_zone))
        if local.hour == ROLLUP_HOUR:
            due += [(pk, local.date() - timedelta(days=back)) for back in range(1, ROLLUP_DAYS + 1)]
    return due


@dataclass(frozen=True)
class Figure:
    metric: str
    label: str
    numerator: int
    denominator: int
    value: float | None  # a percentage, or (attempts) an average per parcel
    lower_is_better: bool
    average: bool


@dataclass(frozen=True)
class RankRow:
    courier_id: int
    name: str
    employee_no: str
    deliveries: int
    values: dict[str, float | None]  # metric → value over the period


@dataclass(frozen=True)
class KpiPage:
    station: Station
    today: date
    now: datetime
    figures: list[Figure]
    days: list[date]
    trend: dict[str, list[float | None]]  # metric → one value per day (None: nothing that day)
    ranking: list[RankRow]

    def chart(self) -> dict[str, Any]:
        """The trend as the page's chart reads it (JSON): one series per metric, x in seconds at
        each station day's midnight *as if UTC* (the chart draws in UTC), so a point sits on its
        day's tick whatever the browser's zone."""
        return {
            "x": [int(datetime.combine(d, dtime(0), tzinfo=UTC).timestamp()) for d in self.days],
            "series": [
                {"metric": m.value, "label": str(m.label), "values": self.trend[m.value]}
                for m in CHART_METRICS
            ],
        }


def _figure(metric: Metric, pair: tuple[int, int] | None) -> Figure:
    n, d = pair or (0, 0)
    return Figure(
        metric=metric.value,
        label=str(metric.label),
        numerator=n,
        denominator=d,
        value=ratio(metric, n, d),
        lower_is_better=metric in LOWER_IS_BETTER,
        average=metric == Metric.ATTEMPTS,
    )


def kpi_page(*, station: Station, now: datetime) -> KpiPage:
    """Today's figures (live, from the events), the last 14 days' trend (the roll-up's rows for the
    closed days, today live) and the couriers ranked over those 14 days."""
    today = station_today(station, now)
    live = kpi_day_figures(station, today)
    days = [today - timedelta(days=back) for back in range(TREND_DAYS - 1, -1, -1)]
    rows = KpiDay.objects.filter(station_id=station.pk, day__gte=days[0], day__lt=today)
    stored: dict[tuple[date, str], tuple[int, int]] = {
        (r.day, r.metric): (r.numerator, r.denominator) for r in rows.filter(courier__isnull=True)
    }
    trend: dict[str, list[float | None]] = {}
    for m in Metric:
        values: list[float | None] = []
        for d in days:
            pair = live.get((m.value, None)) if d == today else stored.get((d, m.value))
            values.append(ratio(m, *pair) if pair else None)
        trend[m.value] = values
    totals: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    per_courier = rows.filter(courier__isnull=False).values("courier_id", "metric")
    for r in per_courier.annotate(n=Sum("numerator"), d=Sum("denominator")).order_by():
        _accumulate(totals[r["courier_id"]][r["metric"]], r["n"], r["d"])
    for (metric, courier_id), (num, den) in live.items():
        if courier_id is not None:
            _accumulate(totals[courier_id][metric], num, den)
    return KpiPage(
        station=station,
        today=today,
        now=now,
        figures=[_figure(m, live.get((m.value, None))) for m in Metric],
        days=days,
        trend=trend,
        ranking=_ranking(totals),
    )


def _accumulate(pair: list[int], numerator: int, denominator: int) -> None:
    pair[0] += numerator
    pair[1] += denominator


def _ranking(totals: dict[int, dict[str, list[int]]]) -> list[RankRow]:
    """Couriers by on-time rate, then first-attempt success, then deliveries (those with none last)."""
    couriers = Courier.objects.filter(pk__in=list(totals)).values_list("pk", "name", "employee_no")
    rows = [
        RankRow(
            courier_id=pk,
            name=name,
            employee_no=number,
            deliveries=totals[pk][Metric.ATTEMPTS][1],
            values={m.value: ratio(m, *totals[pk][m.value]) for m in Metric},
        )
        for pk, name, number in couriers
    ]

    def key(row: RankRow) -> tuple[float, float, int, str]:
        on_time = row.values[Metric.ON_TIME]
        first = row.values[Metric.FIRST_ATTEMPT]
        return (
            -(on_time if on_time is not None else -1.0),
            -(first if first is not None else -1.0),
            -row.deliveries,
            row.employee_no,
        )

    return sorted(rows, key=key)
