"""The job's negotiation banner, the Today marker and order, and the times a courier may propose. No display."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mobile import i18n, today
from mobile.negotiation import banner, proposal_slots

SH = ZoneInfo("Asia/Shanghai")
LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def chinese() -> Any:
    i18n.set_language("zh_CN")
    yield
    i18n.set_language("zh_CN")


def negotiation(
    state: str, chosen: str = "", trigger: str = "failed_attempt", **extra: Any
) -> dict[str, Any]:
    return {
        "id": 5,
        "job_id": 7,
        "state": state,
        "trigger": trigger,
        "options": [
            {
                "key": "w1",
                "kind": "window",
                "text": {"zh": "今天 14:00–15:00", "en": "Today 14:00–15:00"},
                "window_start": NOW.replace(hour=14).isoformat(),
                "window_end": NOW.replace(hour=15).isoformat(),
            },
            {
                "key": "st",
                "kind": "hold_station",
                "text": {"zh": "在站点自取", "en": "Collect at the station"},
            },
            {"key": "keep", "kind": "keep", "text": {"zh": "按原计划派送", "en": "Keep the planned time"}},
        ],
        "deadline": (NOW + timedelta(hours=2)).isoformat(),
        "default_key": "keep",
        "chosen_key": chosen,
        **extra,
    }


def job(n: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 7,
        "kind": "delivery",
        "status": "assigned",
        "planned_seq": None,
        "eta": None,
        "window_start": None,
        "window_end": None,
        "address": "教工路8号",
        "shipment": {"id": 7, "tracking_no": "PR1", "recipient_name": "李四"},
    }
    if n is not None:
        base["negotiation"] = n
    return {**base, **fields}


@pytest.mark.parametrize(
    ("n", "zh", "en", "colour"),
    [
        (negotiation("offered"), "等待客户答复", "Waiting for the customer's answer", "warning"),
        (negotiation("answered", "w1"), "客户已选择 14:00–15:00", "Customer chose 14:00–15:00", "done"),
        (negotiation("answered", "st"), "客户到站点自取", "Customer will collect it at the station", "done"),
        (negotiation("answered", "keep"), "客户同意按原计划派送", "Customer keeps the planned time", "done"),
        (negotiation("expired", "keep"), "已过期，客户未答复", "Expired: no answer", "muted"),
        (negotiation("cancelled"), "已撤回", "Withdrawn", "muted"),
    ],
)
def test_the_banner_says_where_the_question_stands(n: dict[str, Any], zh: str, en: str, colour: str) -> None:
    b = banner(job(n), SH, NOW)
    assert b is not None and (b.text(), b.colour) == (zh, colour)
    i18n.set_language("en")
    assert b.text() == en


def test_a_proposal_waits_for_the_customer_and_an_open_question_past_its_deadline_is_expired() -> None:
    courier = negotiation("offered", trigger="courier")
    courier["options"] = courier["options"][:1]
    assert banner(job(courier), SH, NOW).text() == "已提议 14:00–15:00，等待客户答复"  # type: ignore[union-attr]
    late = NOW + timedelta(hours=2)
    assert banner(job(negotiation("offered")), SH, late).text() == "已过期，客户未答复"  # type: ignore[union-attr]


def test_local_proposals_and_refusals_and_no_banner_without_a_question() -> None:
    start, end = NOW.replace(hour=9, minute=30) + timedelta(days=1), NOW.replace(hour=10) + timedelta(days=1)
    local = {"state": "proposing", "window_start": start.isoformat(), "window_end": end.isoformat()}
    assert banner(job(local), SH, NOW).text() == "已提议 明天 09:30–10:00，等待客户答复"  # type: ignore[union-attr]
    refused = {**local, "state": "refused", "code": "invalid_time_window", "message": "too late"}
    b = banner(job(refused), SH, NOW)
    assert b is not None and (b.text(), b.colour) == ("提议被拒绝：too late", "failed")
    assert banner(job(), SH, NOW) is None
    assert banner(job(negotiation("superseded")), SH, NOW) is None


def test_today_marks_the_row_and_follows_the_servers_new_order() -> None:
    a = job(negotiation("answered", "w1"), id=1, planned_seq=1)
    b = job(None, id=2, planned_seq=2)
    rows = today.rows([a, b], SH, NOW)
    assert [(r.job_id, r.marker, r.marker_colour) for r in rows] == [
        (1, "客户已选择 14:00–15:00", "done"),
        (2, "", "muted"),
    ]
    # The answer moved the stop: the server's re-plan puts it second, with its new window.
    a = {
        **a,
        "planned_seq": 2,
        "window_start": NOW.replace(hour=14).isoformat(),
        "window_end": NOW.replace(hour=15).isoformat(),
    }
    b = {**b, "planned_seq": 1}
    rows = today.rows([a, b], SH, NOW)
    assert [(r.job_id, r.window) for r in rows] == [(2, ""), (1, "14:00–15:00")]
    done = {**a, "status": "completed"}
    assert today.rows([done], SH, NOW)[0].marker == ""


def test_times_are_offered_every_half_hour_from_now_within_the_shift() -> None:
    slots = proposal_slots(NOW.replace(minute=7), SH)
    assert [s.label for s in slots[:3]] == ["10:30", "11:00", "11:30"]
    assert len(slots) == 12 and not slots[0].tomorrow
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)
    late = proposal_slots(NOW.replace(hour=19, minute=10), SH)  # 15 min ahead: 19:25, so 19:30
    assert [s.label for s in late] == ["19:30"]
    assert late[0].start == NOW.replace(hour=19, minute=30)


def test_after_the_shift_tomorrows_shift_is_offered() -> None:
    slots = proposal_slots(NOW.replace(hour=19, minute=50), SH, "08:00", "20:00")
    assert slots[0].tomorrow and slots[0].start == NOW.replace(hour=8, minute=0) + timedelta(days=1)
    # 23:30 UTC is 07:30 the next morning in Shanghai: the day's shift, from its start.
    morning = proposal_slots(datetime(2026, 11, 24, 23, 30, tzinfo=UTC), SH)
    assert (morning[0].start.isoformat(), morning[0].tomorrow) == ("2026-11-25T08:00:00+08:00", False)
    # 03:00 in Los Angeles, before the shift: today's shift in the station's zone.
    early = proposal_slots(datetime(2026, 11, 24, 3, 0, tzinfo=LA), LA)
    assert early[0].start == datetime(2026, 11, 24, 8, 0, tzinfo=LA) and not early[0].tomorrow
    # Near midnight the lead time crosses the date: tomorrow's shift, never a time in the past.
    night = proposal_slots(datetime(2026, 11, 24, 23, 50, tzinfo=SH), SH)
    assert night[0].start == datetime(2026, 11, 25, 8, 0, tzinfo=SH)
