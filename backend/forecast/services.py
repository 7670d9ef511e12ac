"""The one write of the forecast app: a station's forecast for the next days, computed from its
history and stored (docs/forecast.md)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.couriers.models import Station
from backend.couriers.selectors import station_today
from backend.forecast import selectors
from backend.forecast.backtest import NextDay, rolling_origin
from backend.forecast.holidays import calendar_known, day_off
from backend.forecast.model import forecast
from backend.forecast.models import ForecastDay, ForecastRun
from backend.forecast.nowcast import SHARE_DAYS, inbound_share, with_inbound
from backend.forecast.staffing import couriers_needed, station_pace

HORIZON = 7
HISTORY_DAYS = 730  # two years: the yearly cycle and last year's holidays and 11.11
BACKTEST_DAYS = 28  # the nightly backtest's held-back days (the bench holds back 56)
PACE_DAYS = 28
SERIES = ("pickups", "deliveries")


def _peak(day: date) -> str:
    if day.month == 11 and 11 <= day.day <= 18:
        return "11.11"
    if day.month == 6 and 18 <= day.day <= 25:
        return "6.18"
    off, _ = day_off(day)
    if off and day.month in (1, 2):
        return "spring"
    return ""


def _nowcast(known: list[int], actual: list[int], length: int) -> NextDay:
    """The backtest's next-day figure as the night before it would have published it: ``known``
    and ``actual`` are the last days of a series of ``length`` days."""

    def next_day(index: int, model: float) -> float:
        j = index - (length - len(actual))  # the target day's place in ``known``/``actual``
        if j - SHARE_DAYS < 0:
            return model
        # The SHARE_DAYS up to the origin (the evening before the target), as tonight's run does.
        share = inbound_share(known[j - SHARE_DAYS : j], actual[j - SHARE_DAYS : j])
        return with_inbound(model, known[j], share)

    return next_day


@transaction.atomic
def forecast_compute(*, station_id: int, now: datetime | None = None) -> ForecastRun:
    """Forecast the station's next ``HORIZON`` days from its history up to today (its local date)
    and store it, replacing a run already stored for today: a second run the same night leaves
    what one run on the same data would. Two runs of one station wait for each other on the station
    row. ``not_found`` for an unknown station."""
    station = Station.objects.select_for_update(no_key=True).filter(pk=station_id).first()
    if station is None:
        raise DomainError("not_found", f"station {station_id} does not exist")
    now = now or timezone.now()
    today = station_today(station, now)
    first = today - timedelta(days=HISTORY_DAYS - 1)
    history = selectors.daily_stops(station, first, today)
    # The history starts at the station's first day with any stop (a new station has no past).
    start = next((i for i in range(HISTORY_DAYS) if history["pickups"][i] or history["deliveries"][i]), None)
    offset = HISTORY_DAYS if start is None else start
    series = {k: [float(v) for v in history[k][offset:]] for k in SERIES}
    fits = {k: forecast(series[k], today, HORIZON) for k in SERIES}
    # What each of the last days' stops had known on its eve: the share for tomorrow from the last
    # SHARE_DAYS, and the backtest's nowcast from the SHARE_DAYS before each of its origins.
    span = SHARE_DAYS + BACKTEST_DAYS
    eve = selectors.known_on_eve(station, today - timedelta(days=span - 1), today)
    recent = {k: history[k][-span:] for k in SERIES}
    shares = {k: inbound_share(eve[k][-SHARE_DAYS:], recent[k][-SHARE_DAYS:]) for k in SERIES}
    tomorrow = today + timedelta(days=1)
    known = selectors.known_for(station, tomorrow)
    paces = selectors.courier_paces(station, today - timedelta(days=PACE_DAYS - 1), today)
    rate, measured = station_pace([p for _, p in paces])
    shift_hours = float(settings.FORECAST_SHIFT_HOURS)

    ForecastRun.objects.filter(station_id=station.pk, issued_on=today).delete()
    run = ForecastRun.objects.create(
        station=station,
        issued_on=today,
        computed_at=now,
        history_days=len(series["deliveries"]),
        method=fits["deliveries"].method,
        calendar_known=all(calendar_known(today + timedelta(days=h)) for h in range(1, HORIZON + 1)),
        stops_per_hour=round(rate, 2),
        shift_hours=shift_hours,
        capacity_measured=measured,
        couriers=[
            {
                "id": c.pk,
                "name": c.name,
                "employee_no": c.employee_no,
                "stops": p.stops,
                "hours": round(p.hours, 1),
                "stops_per_hour": round(p.stops_per_hour, 1),
            }
            for c, p in paces
        ],
        shares={k: (round(v, 3) if v is not None else None) for k, v in shares.items()},
        backtest={
            k: asdict(
                rolling_origin(series[k], today, BACKTEST_DAYS, _nowcast(eve[k], recent[k], len(series[k])))
            )
            for k in SERIES
        },
    )
    days = []
    for h in range(1, HORIZON + 1):
        day = today + timedelta(days=h)
        model = {k: fits[k].values[h - 1] for k in SERIES}
        published = dict(model)
        if h == 1:
            published["pickups"] = with_inbound(model["pickups"], known.pickups, shares["pickups"])
            published["deliveries"] = with_inbound(
                model["deliveries"], known.deliveries, shares["deliveries"]
            )
        pickups, deliveries = round(published["pickups"]), round(published["deliveries"])
        days.append(
            ForecastDay(
                run=run,
                day=day,
                horizon=h,
                pickups=pickups,
                deliveries=deliveries,
                pickups_model=round(model["pickups"]),
                deliveries_model=round(model["deliveries"]),
                pickups_known=known.pickups if h == 1 else 0,
                deliveries_known=known.deliveries if h == 1 else 0,
                deliveries_in_transit=known.deliveries_in_transit if h == 1 else 0,
                couriers_needed=couriers_needed(pickups + deliveries, rate, shift_hours),
                holiday=day_off(day)[0],
                peak=_peak(day),
            )
        )
    ForecastDay.objects.bulk_create(days)
    return run
