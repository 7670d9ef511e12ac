"""Working days on the Chinese holiday calendar: weekends, National Day 2026, a make-up Saturday,
and a year the calendar does not know yet (Monday–Friday). Pure: no database, no clock."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from backend.incidents.workdays import (
    add_working_hours,
    calendar_known,
    end_of_working_day,
    is_working_day,
    nth_working_day_after,
)

SH = ZoneInfo("Asia/Shanghai")


def test_weekends_and_national_day_are_off_and_the_make_up_saturday_is_on() -> None:
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert all(not is_working_day(date(2026, 10, d)) for d in range(1, 8))  # National Day week
    assert is_working_day(date(2026, 10, 8))
    assert is_working_day(date(2026, 10, 10))  # Saturday worked in exchange (调休)


def test_hours_run_only_on_working_days() -> None:
    friday_late = datetime(2026, 11, 27, 23, 0, tzinfo=SH)
    assert add_working_hours(friday_late, 2, SH) == datetime(2026, 11, 30, 1, 0, tzinfo=SH)
    before_holiday = datetime(2026, 9, 30, 23, 0, tzinfo=SH)
    assert add_working_hours(before_holiday, 2, SH) == datetime(2026, 10, 8, 1, 0, tzinfo=SH)
    raised_on_holiday = datetime(2026, 10, 3, 12, 0, tzinfo=SH)
    assert add_working_hours(raised_on_holiday, 2, SH) == datetime(2026, 10, 8, 2, 0, tzinfo=SH)


def test_legal_days_count_from_the_day_after_and_skip_the_holiday() -> None:
    assert nth_working_day_after(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert end_of_working_day(datetime(2026, 9, 30, 23, 0, tzinfo=SH), 7, SH) == datetime(
        2026, 10, 16, 0, 0, tzinfo=SH
    )


def test_a_year_past_the_calendar_falls_back_to_monday_to_friday() -> None:
    assert calendar_known(date(2026, 12, 31))
    assert not calendar_known(date(2031, 1, 1))
    assert is_working_day(date(2031, 1, 1))  # New Year's Day, but unknown: a Wednesday counts
    assert not is_working_day(date(2031, 1, 4))  # Saturday
    assert nth_working_day_after(date(2030, 12, 31), 3) == date(2031, 1, 3)
