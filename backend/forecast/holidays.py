"""The calendar a station's volume follows: Chinese public holidays, their make-up working days,
the Spring Festival season and the shopping festivals (11.11, 6.18). Pure: no database.

Each day becomes a row of 0/1 columns (``calendar_row``); the model learns how much each column
moves the volume of each station and series, so a station whose deliveries peak three days after
11.11 and one whose pickups peak on the day both fit.

The official calendar comes from ``chinese_calendar`` (the State Council's yearly notice). For a
year it does not know yet (the notice comes out in November for the next year), the fixed-date
holidays (1.1, 5.1–5.5, 10.1–10.7) and the Spring Festival week from the table below stand in;
the lunar holidays that move (Qingming, Dragon Boat, Mid-Autumn) and the make-up working days
are then missing, which the forecast page says (``calendar_known``).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

# Lunar New Year's Day (正月初一), the anchor of the Spring Festival season.
LUNAR_NEW_YEAR: dict[int, date] = {
    y: date(y, m, d)
    for y, (m, d) in {
        2004: (1, 22), 2005: (2, 9), 2006: (1, 29), 2007: (2, 18), 2008: (2, 7), 2009: (1, 26),
        2010: (2, 14), 2011: (2, 3), 2012: (1, 23), 2013: (2, 10), 2014: (1, 31), 2015: (2, 19),
        2016: (2, 8), 2017: (1, 28), 2018: (2, 16), 2019: (2, 5), 2020: (1, 25), 2021: (2, 12),
        2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6),
        2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23), 2032: (2, 11), 2033: (1, 31),
        2034: (2, 19), 2035: (2, 8),
    }.items()
}  # fmt: skip

# Bands of days around each anchor: (name, first offset, last offset), inclusive. Deliveries of a
# shopping festival arrive over the following week, pickups (merchants shipping) start on the day.
SPRING_BANDS = (
    ("sf_m21", -21, -15),
    ("sf_m14", -14, -8),
    ("sf_m7", -7, -1),
    ("sf_0", 0, 6),
    ("sf_p7", 7, 13),
    ("sf_p14", 14, 20),
)
PEAK_BANDS = (
    ("d1111_pre", date(2000, 11, 1), -10, -1),
    ("d1111_0", date(2000, 11, 11), 0, 0),
    ("d1111_p1", date(2000, 11, 11), 1, 3),
    ("d1111_p4", date(2000, 11, 11), 4, 7),
    ("d618_0", date(2000, 6, 18), 0, 0),
    ("d618_p1", date(2000, 6, 18), 1, 3),
    ("d618_p4", date(2000, 6, 18), 4, 7),
)
COLUMNS: tuple[str, ...] = (
    "holiday_off",  # a statutory day off (not an ordinary weekend)
    "makeup_workday",  # a weekend day worked in lieu (调休)
    "after_break_1",  # the first working day after a break of three days or more: the backlog
    "after_break_2",
    *(name for name, _, _ in SPRING_BANDS),
    *(name for name, _, _, _ in PEAK_BANDS),
)
FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (5, 3), (5, 4), (5, 5), *((10, d) for d in range(1, 8))}


def calendar_known(day: date) -> bool:
    """Whether the official calendar covers ``day``'s year."""
    try:
        chinese_calendar.is_holiday(day)
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def day_off(day: date) -> tuple[bool, bool]:
    """(is a statutory day off, is a make-up working day)."""
    try:
        off, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        ny = LUNAR_NEW_YEAR.get(day.year)
        spring = ny is not None and -1 <= (day - ny).days <= 6
        return (day.month, day.day) in FIXED_HOLIDAYS or spring, False
    return bool(off and name is not None), bool(not off and day.weekday() >= 5)


def _closed(day: date) -> bool:
    return day.weekday() >= 5 and not day_off(day)[1] or day_off(day)[0]


@lru_cache(maxsize=8192)
def _after_break(day: date) -> int:
    """1 or 2 on the first two working days after three or more closed days in a row, else 0."""
    if _closed(day):
        return 0
    back = day - timedelta(days=1)
    worked = 0
    while not _closed(back):  # step over the working day(s) since the break
        worked += 1
        if worked >= 2:
            return 0
        back -= timedelta(days=1)
    run = 0
    while _closed(back) and run < 30:
        run += 1
        back -= timedelta(days=1)
    return worked + 1 if run >= 3 else 0


def _in_band(day: date, anchor: date, first: int, last: int) -> bool:
    return first <= (day - anchor).days <= last


@lru_cache(maxsize=8192)
def calendar_row(day: date) -> tuple[float, ...]:
    """The day's calendar columns, in ``COLUMNS`` order."""
    off, makeup = day_off(day)
    after = _after_break(day)
    row = [float(off), float(makeup), float(after == 1), float(after == 2)]
    anchors = [ny for y in (day.year - 1, day.year, day.year + 1) if (ny := LUNAR_NEW_YEAR.get(y))]
    for _, first, last in SPRING_BANDS:
        row.append(float(any(_in_band(day, ny, first, last) for ny in anchors)))
    for _, template, first, last in PEAK_BANDS:
        anchor = template.replace(year=day.year)
        row.append(float(_in_band(day, anchor, first, last)))
    return tuple(row)
