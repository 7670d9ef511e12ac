"""The calendar columns: the official calendar where it is known, a stand-in where it is not."""

from __future__ import annotations

from datetime import date

from backend.forecast.holidays import COLUMNS, calendar_known, calendar_row, day_off


def columns(day: date) -> set[str]:
    return {name for name, value in zip(COLUMNS, calendar_row(day), strict=True) if value}


def test_national_day_is_a_day_off_and_its_make_up_saturday_a_working_day() -> None:
    assert day_off(date(2025, 10, 1)) == (True, False)
    assert day_off(date(2025, 10, 11)) == (False, True)  # Saturday worked in lieu
    assert columns(date(2025, 10, 9)) == {"after_break_1"}  # the first working day after eight off


def test_eleven_eleven_and_the_spring_festival_are_marked() -> None:
    assert columns(date(2025, 11, 11)) == {"d1111_0"}
    assert columns(date(2025, 11, 13)) == {"d1111_p1"}
    assert "sf_0" in columns(date(2026, 2, 17))


def test_a_year_the_official_calendar_does_not_know_falls_back_to_fixed_dates() -> None:
    assert not calendar_known(date(2030, 10, 2))
    assert day_off(date(2030, 10, 2)) == (True, False)
    assert day_off(date(2030, 2, 4)) == (True, False)  # Spring Festival week from the lunar table
    assert day_off(date(2030, 3, 12)) == (False, False)
