"""The days and time slots a courier picks for 另约时间段 (a new time agreed at the door). Pure.

Issue 17: the courier had to type "YYYY-MM-DD HH:MM" twice. The screen now offers chips: today,
tomorrow and the day after, then two-hour slots inside the shift; a slot already begun today is
not offered. Times are the station's local time; the flow gets them as ISO strings with the zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mobile.i18n import N_

SLOT_HOURS = 2
DAY_LABELS = (N_("Today"), N_("Tomorrow"), N_("Day after tomorrow"))


@dataclass(frozen=True)
class Day:
    label: str  # a msgid (Today, Tomorrow, …); the screen adds the date
    day: date


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime

    @property
    def text(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


def days(now: datetime, tz: ZoneInfo) -> list[Day]:
    today = now.astimezone(tz).date()
    return [Day(label, today + timedelta(days=n)) for n, label in enumerate(DAY_LABELS)]


def slots(
    day: date, now: datetime, tz: ZoneInfo, shift_start: str = "08:00", shift_end: str = "20:00"
) -> list[Slot]:
    """Two-hour slots from the shift's start; on ``now``'s day only those not yet begun."""
    begin, end = time.fromisoformat(shift_start), time.fromisoformat(shift_end)
    start, last = datetime.combine(day, begin, tzinfo=tz), datetime.combine(day, end, tzinfo=tz)
    out = []
    while start + timedelta(hours=SLOT_HOURS) <= last:
        if start > now:
            out.append(Slot(start, start + timedelta(hours=SLOT_HOURS)))
        start += timedelta(hours=SLOT_HOURS)
    return out
