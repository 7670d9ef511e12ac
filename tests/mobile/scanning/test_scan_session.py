"""Each scan's verdict and feedback: nothing off the list, doubled or foreign is silently accepted."""

from __future__ import annotations

from typing import Any

import pytest

from mobile.scanning.scan_session import FEEDBACK, Expected, ScanMode, ScanSession, Verdict, expected_for
from parcelkit.rules.tracking import make_tracking_no

MINE, OTHER = 1, 2


def job(job_id: int, kind: str, status: str, serial: int, station: int = MINE) -> dict[str, Any]:
    return {
        "id": job_id,
        "kind": kind,
        "status": status,
        "shipment": {"tracking_no": make_tracking_no(serial), "station_id": station},
    }


DAY = [
    job(1, "delivery", "assigned", 101),
    job(2, "delivery", "started", 102),
    job(3, "delivery", "completed", 103),
    job(4, "delivery", "failed", 104),
    job(5, "pickup", "assigned", 105),
    job(6, "pickup", "completed", 106),
    job(7, "delivery", "assigned", 107, station=OTHER),
]


@pytest.mark.parametrize(
    ("mode", "job_ids"),
    [
        (ScanMode.LOADED_OUT, {1, 2, 7}),
        (ScanMode.DELIVERY, {1, 2, 7}),
        (ScanMode.PICKUP, {5}),
        (ScanMode.STATION_IN, {4, 6}),
    ],
)
def test_each_mode_expects_its_own_parcels(mode: ScanMode, job_ids: set[int]) -> None:
    assert {e.job_id for e in expected_for(mode, DAY).values()} == job_ids


def session(mode: ScanMode = ScanMode.LOADED_OUT, **kw: Any) -> ScanSession:
    return ScanSession(mode, expected_for(mode, DAY), MINE, **kw)


def test_a_parcel_on_the_list_is_ok_and_names_its_job() -> None:
    s = session()
    result = s.judge(make_tracking_no(101).lower())
    assert (result.verdict, result.job_id, result.code) == (Verdict.OK, 1, make_tracking_no(101))
    assert result.feedback == FEEDBACK[Verdict.OK] and result.feedback.vibrate_ms == 0
    assert s.remaining == 2


def test_a_bad_check_digit_is_flagged_before_any_lookup() -> None:
    good = make_tracking_no(101)
    result = session().judge(good[:-1] + str((int(good[-1]) + 1) % 10))
    assert result.verdict is Verdict.BAD_CHECK_DIGIT
    assert (result.feedback.colour, result.feedback.sound) == ("error", "error")


def test_a_second_scan_of_the_same_parcel_is_flagged_not_counted_twice() -> None:
    s = session()
    s.judge(make_tracking_no(101))
    again = s.judge(make_tracking_no(101))
    assert (again.verdict, again.job_id) == (Verdict.ALREADY_SCANNED, 1)
    assert s.accepted == [make_tracking_no(101)]
    assert again.feedback.vibrate_ms > 0


def test_a_parcel_not_on_my_list_is_flagged() -> None:
    result = session().judge(make_tracking_no(999))
    assert (result.verdict, result.job_id) == (Verdict.NOT_ON_LIST, None)


def test_a_parcel_of_another_station_is_flagged_even_when_on_my_list() -> None:
    result = session().judge(make_tracking_no(107))
    assert (result.verdict, result.job_id) == (Verdict.OTHER_STATION, 7)


def test_a_parcel_off_my_list_that_the_station_data_places_elsewhere_is_other_station() -> None:
    s = session(station_of=lambda n: OTHER if n == make_tracking_no(555) else None)
    assert s.judge(make_tracking_no(555)).verdict is Verdict.OTHER_STATION
    assert s.judge(make_tracking_no(556)).verdict is Verdict.NOT_ON_LIST


def test_a_delivered_parcel_is_not_expected_on_the_van_again() -> None:
    assert session().judge(make_tracking_no(103)).verdict is Verdict.NOT_ON_LIST


def test_undo_makes_the_parcel_scannable_again() -> None:
    s = ScanSession(ScanMode.STATION_IN, {make_tracking_no(1): Expected(1, MINE)}, MINE)
    s.judge(make_tracking_no(1))
    s.undo(make_tracking_no(1))
    assert s.judge(make_tracking_no(1)).verdict is Verdict.OK
