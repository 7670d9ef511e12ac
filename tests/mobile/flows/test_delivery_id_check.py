"""Handling flags at the door, without a display: the chips, and the ID step of an ID-check or
high-value parcel before its signature (parcelkit/rules/handling.py, the server's rule too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mobile.flows.delivery import DeliveryFlow, FlowError, Step
from mobile.handling import flag_labels
from mobile.i18n import translate
from mobile.offline import drafts
from mobile.offline.store import Store
from mobile.refusals import explain
from mobile.today import row_of
from tests.mobile.flows.test_delivery_flow import NUMBER, PNG, job

ALL = ["keep_upright", "liquid", "fragile", "high_value", "id_check", "call_before"]


def flagged(*flags: str, **shipment: Any) -> DeliveryFlow:
    return DeliveryFlow(job(handling=list(flags), **shipment), scanned=NUMBER)


def test_the_flags_are_chips_in_chinese_and_english_in_a_fixed_order() -> None:
    labels = flag_labels(ALL)  # liquid is the sorting centre's flag: not a courier's chip
    assert [translate(m, "zh_CN") for m in labels] == ["先电联", "验证件", "高价值", "易碎", "向上"]
    assert [translate(m, "en") for m in labels] == [
        "Call first",
        "ID check",
        "High value",
        "Fragile",
        "This way up",
    ]
    assert flagged(*ALL).flags == ["call_before", "id_check", "high_value", "fragile", "keep_upright"]


def test_todays_row_carries_the_flags() -> None:
    from zoneinfo import ZoneInfo

    row = row_of(job(handling=["fragile", "id_check"]), ZoneInfo("Asia/Shanghai"))
    assert row.flags == ("id_check", "fragile")
    assert row_of(job(), ZoneInfo("Asia/Shanghai")).flags == ()


def test_an_unflagged_parcel_is_still_scan_sign_and_one_tap() -> None:
    flow = flagged("fragile", "call_before")
    assert not flow.needs_id and not flow.id_step_open
    flow.set_signature(PNG)
    assert flow.confirm() is Step.DONE and flow.taps == 1
    assert "id_type" not in flow.result()[0]


@pytest.mark.parametrize("flag", ["id_check", "high_value"])
def test_the_id_step_comes_before_the_signature(flag: str) -> None:
    flow = flagged(flag)
    assert flow.id_step_open
    with pytest.raises(FlowError):
        flow.set_signature(PNG)
    assert flow.confirm() is Step.PROOF
    assert flow.problems == [
        "ID check: choose the ID type",
        "ID check: enter the last 4 of the ID number",
        "The recipient has not signed",
    ]
    flow.choose_id_type("resident_id")
    flow.set_id_last4("1234")
    assert flow.confirm() is Step.PROOF
    assert flow.problems[0] == "ID check: confirm the recipient's ID first"


def test_the_id_step_checks_type_and_last_4_in_chinese() -> None:
    flow = flagged("id_check")
    assert flow.confirm_id() is False
    assert [translate(p, "zh_CN") for p in flow.problems] == [
        "验证件：请选择证件类型",
        "验证件：请输入证件号后4位",
    ]
    flow.choose_id_type("resident_id")
    flow.set_id_last4("12")
    assert flow.confirm_id() is False
    assert [translate(p, "zh_CN") for p in flow.problems] == ["验证件：请输入证件号后4位"]
    with pytest.raises(FlowError):
        flow.choose_id_type("library_card")


def test_id_then_signature_then_delivered_carries_only_the_last_4() -> None:
    flow = flagged("id_check", "high_value")
    flow.choose_id_type("resident_id")
    flow.set_id_last4(" 002x ")
    assert flow.confirm_id() is True and not flow.id_step_open
    flow.set_signature(PNG)
    assert flow.confirm() is Step.DONE
    proof, _files, _where = flow.result()
    assert (proof["id_type"], proof["id_last4"], proof["recipient_relation"]) == (
        "resident_id",
        "002X",
        "self",
    )
    assert flow.taps == 4  # type, last 4, "ID checked", "Delivered"


def test_changing_the_document_reopens_the_id_step() -> None:
    flow = flagged("high_value")
    flow.choose_id_type("passport")
    flow.set_id_last4("E123")
    assert flow.confirm_id()
    flow.set_id_last4("E124")
    assert flow.id_step_open


def test_family_may_not_sign_for_an_id_check_parcel() -> None:
    flow = flagged("id_check")
    flow.choose_id_type("resident_id")
    flow.set_id_last4("1234")
    assert flow.confirm_id()
    flow.choose_relation("family")
    flow.set_recipient_name("王五")
    flow.set_signature(PNG)
    assert flow.confirm() is Step.PROOF
    assert [translate(p, "zh_CN") for p in flow.problems] == ["验证件：只能由收件人本人签收"]


def test_family_with_their_own_id_may_sign_for_a_high_value_parcel() -> None:
    flow = flagged("high_value")
    flow.choose_relation("family")
    flow.set_recipient_name("王五")
    flow.choose_id_type("passport")
    flow.set_id_last4("E123")
    assert flow.confirm_id()
    flow.set_signature(PNG)
    assert flow.confirm() is Step.DONE
    assert flow.result()[0]["recipient_relation"] == "family"


@pytest.mark.parametrize("relation", ["guard", "colleague"])
def test_a_guard_may_not_take_a_high_value_parcel_a_colleague_may(relation: str) -> None:
    flow = flagged("high_value")
    flow.choose_relation(relation)
    flow.set_recipient_name("赵六")
    flow.choose_id_type("resident_id")
    flow.set_id_last4("1234")
    flow.confirm_id()
    flow.set_signature(PNG)
    if relation == "guard":
        assert flow.confirm() is Step.PROOF
        assert [translate(p, "zh_CN") for p in flow.problems] == [
            "验证件/高价值件须当面签收：不得放快递柜、驿站或交门卫代收"
        ]
    else:
        assert flow.confirm() is Step.DONE


@pytest.mark.parametrize("method", ["locker", "station"])
def test_no_locker_or_station_for_an_id_check_parcel(method: str) -> None:
    flow = flagged("id_check")
    flow.choose_method(method)
    assert not flow.id_step_open  # nobody to show an ID: the refusal says why
    assert flow.confirm() is Step.PROOF
    assert "ID check / high value: hand it over in person, not to a locker, station or guard" in flow.problems


def test_the_id_step_survives_a_restart_from_the_store(tmp_path: Path) -> None:
    flow = flagged("id_check")
    store = Store(str(tmp_path / "phone.sqlite3"), device_id="d-1")
    flow.on_change = lambda f: drafts.save(store, "delivery", f.snapshot())
    flow.choose_id_type("hk_macau_permit")
    flow.set_id_last4("a1b2")
    store.close()  # the app is killed here
    again = Store(str(tmp_path / "phone.sqlite3"), device_id="d-1")
    saved = drafts.load(again, "delivery")
    assert saved is not None
    resumed = DeliveryFlow.restore(job(handling=["id_check"]), saved)
    assert (resumed.draft.id_type, resumed.draft.id_last4, resumed.id_step_open) == (
        "hk_macau_permit",
        "A1B2",
        True,
    )
    assert resumed.confirm_id() and not resumed.id_step_open
    again.close()


@pytest.mark.parametrize(
    ("code", "zh"),
    [
        ("handover_in_person_required", "上传失败：验证件/高价值件不得放快递柜、驿站或交门卫代收"),
        ("id_check_self_only", "上传失败：验证件只能由收件人本人签收"),
        ("id_check_required", "上传失败：缺少证件类型和证件号后4位"),
    ],
)
def test_a_refused_op_is_explained_in_both_languages(code: str, zh: str) -> None:
    what, _next = explain(code, "zh_CN")
    assert what == zh
    what_en, next_en = explain(code, "en")
    assert what_en.startswith("Upload failed: ") and next_en.startswith("Hand it to the supervisor")
