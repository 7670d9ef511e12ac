"""Working days on the Chinese holiday calendar, and clocks that only run on them.

The legal clocks of complaints and claims count working days (工作日): weekends and public
holidays do not count, and the make-up working days (调休, a Saturday or Sunday worked in
exchange for a bridge day) do. The calendar is the ``chinesecalendar`` package's, which knows only
the years published when it was released (the State Council announces each year's holidays in
November or December). For a year it does not know we fall back to Monday–Friday and say so
(``calendar_known``): a clock that ends in such a year may be a holiday off, never a weekend off.

A timer of N hours runs only during working days (whole local days, in the station's time zone):
an incident raised on Friday at 23:00 with 2 hours to acknowledge is due on Monday at 01:00. Pure
code: no database, no clock read.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

MAX_DAYS = 400  # a clock never needs to look further ahead than this (no year is all holidays)


def calendar_known(day: date) -> bool:
    """Whether the holiday calendar covers ``day``'s year (else Monday–Friday is assumed)."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5  # a year the package does not know yet: Monday to Friday


def next_working_day(day: date) -> date:
    """The first working day strictly after ``day``."""
    for n in range(1, MAX_DAYS):
        candidate = day + timedelta(days=n)
        if is_working_day(candidate):
            return candidate
    raise ValueError(f"no working day within {MAX_DAYS} days of {day}")


def nth_working_day_after(day: date, n: int) -> date:
    """The ``n``-th working day after ``day`` (``day`` itself is day 0, whatever it is)."""
    for _ in range(n):
        day = next_working_day(day)
    return day


def add_working_hours(start: datetime, hours: float, tz: ZoneInfo) -> datetime:
    """``start`` plus ``hours`` of working-day time (local days in ``tz``); aware in, aware out."""
    local = start.astimezone(tz)
    left = timedelta(hours=hours)
    for _ in range(MAX_DAYS):
        day = local.date()
        day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        if is_working_day(day):
            if local + left <= day_end:
                return (local + left).astimezone(start.tzinfo)
            left -= day_end - local
        local = day_end
    raise ValueError(f"{hours} working hours from {start} run past {MAX_DAYS} days")


def start_of_working_day(start: datetime, n: int, tz: ZoneInfo) -> datetime:
    """00:00 (local) of the ``n``-th working day after the day of ``start``."""
    day = nth_working_day_after(start.astimezone(tz).date(), n)
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(start.tzinfo)


def end_of_working_day(start: datetime, n: int, tz: ZoneInfo) -> datetime:
    """24:00 (local) of the ``n``-th working day after the day of ``start``."""
    day = nth_working_day_after(start.astimezone(tz).date(), n)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(start.tzinfo)
