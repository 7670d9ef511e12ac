"""异常件 / 未上传数据 and the end of the day: refused work is named by parcel, kept, and counted until dealt with."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from mobile import end_of_day, refusals
from mobile.actions import Actions
from mobile.offline import outbox, unresolved
from mobile.offline.local_state import apply_changes
from mobile.offline.store import Store

AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def _job(job_id: int, status: str = "assigned", kind: str = "delivery", cod: int = 0) -> dict:
    return {
        "id": job_id,
        "kind": kind,
        "status": status,
        "version": 2,
        "courier_id": 7,
        "address": f"Road {job_id}",
        "shipment": {
            "id": 100 + job_id,
            "status": "out_for_delivery",
            "tracking_no": f"PR00000000{job_id:02d}",
            "recipient_name": f"收件人{job_id}",
            "sender_name": f"寄件人{job_id}",
            "cod_amount_fen": cod,
        },
    }


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(str(tmp_path / "handheld.sqlite3"), device_id="phone-1")
    with s.tx():
        apply_changes(
            s,
            [
                {"op": "snapshot"},
                {"c": 5, "op": "job", "job": _job(1)},
                {"c": 5, "op": "job", "job": _job(2)},
            ],
        )
    return s


def test_a_refused_action_names_its_parcel_after_the_job_left_the_handheld(store: Store) -> None:
    actions = Actions(store, clock=lambda: AT)
    op = actions.record_fail(1, "not_home", "", {"kind": "retry"})
    waiting = actions.record_fail(2, "no_answer", "", {"kind": "retry"})
    outbox.record_results(
        store, [{"op_id": op, "outcome": "rejected", "code": "not_assigned_to_you", "message": "job 1 …"}]
    )
    with store.tx():  # the job was reassigned: it leaves the handheld
        apply_changes(store, [{"c": 6, "op": "revoke", "job_id": 1}])
    found = {p.op_id: p for p in unresolved.problems(store)}
    assert (found[op].tracking_no, found[op].name, found[op].state, found[op].code) == (
        "PR0000000001",
        "收件人1",
        "rejected",
        "not_assigned_to_you",
    )
    assert found[waiting].state == "queued" and found[waiting].tracking_no == "PR0000000002"
    assert [p.op_id for p in unresolved.problems(store)][0] == op  # refusals first
    assert unresolved.open_count(store) == 1


def test_acknowledging_or_handing_over_keeps_the_op_and_clears_the_count(store: Store) -> None:
    actions = Actions(store, clock=lambda: AT)
    op = actions.record_fail(1, "not_home", "", {"kind": "retry"})
    outbox.record_results(
        store, [{"op_id": op, "outcome": "rejected", "code": "invalid_transition", "message": "x"}]
    )
    unresolved.resolve(store, op, "supervisor", AT)
    assert unresolved.open_count(store) == 0
    (kept,) = [p for p in unresolved.problems(store) if p.op_id == op]
    assert kept.resolution == "supervisor" and not kept.open
    assert [o.op_id for o in outbox.rejected(store)] == [op]  # never deleted
    with pytest.raises(ValueError):
        unresolved.resolve(store, op, "delete", AT)
    queued = actions.record_fail(2, "no_answer", "", {"kind": "retry"})
    with pytest.raises(ValueError):
        unresolved.resolve(store, queued, "acknowledged", AT)  # waiting for upload: nothing to resolve


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_refusals_are_explained_from_the_catalogue_never_the_server_text(language: str) -> None:
    what, then = refusals.explain("not_assigned_to_you", language)
    if language == "zh_CN":
        assert what == "非本人派件：该任务已改派给其他快递员" and "交回站点" in then
    else:
        assert what.startswith("Not your delivery") and "station" in then
    assert refusals.explain("no_such_code", language) == refusals.explain("something_else", language)


def test_end_of_day_counts_cash_per_parcel_and_what_to_bring_back() -> None:
    jobs = [
        _job(1, "completed", cod=12_50),
        _job(2, "completed", cod=300_00),
        _job(3, "failed"),
        _job(4, "assigned"),
        _job(5, "completed", kind="pickup"),
        _job(6, "completed"),
    ]
    refused = unresolved.Problem("op-9", 9, "fail", "rejected", "job_closed", 9, "PR0000000009", "王芳", "")
    s = end_of_day.summary(jobs, [refused], unsynced=2)
    assert (s.done, s.failed, s.open) == (4, 1, 1)
    assert s.cod_total_fen == 312_50 and [(p.tracking_no, p.amount_fen) for p in s.cod] == [
        ("PR0000000001", 12_50),
        ("PR0000000002", 300_00),
    ]
    assert [(p.tracking_no, p.why) for p in s.bring_back] == [
        ("PR0000000003", "failed"),
        ("PR0000000004", "open"),
        ("PR0000000005", "pickup"),
        ("PR0000000009", "refused"),
    ]
    assert (s.unsynced, s.unresolved, s.clear) == (2, 1, False)
    assert end_of_day.yuan(s.cod_total_fen) == "¥312.50"
    assert end_of_day.summary([_job(1, "completed")], [], 0).clear
