"""A locker or station (驿站) delivery on the handheld: the compartment, the locker's code and the
recipient's consent are asked for and checked before the op is queued (issue 14)."""

from __future__ import annotations

from typing import Any

import pytest

from mobile import i18n
from mobile.flows.delivery import DeliveryFlow, Step

NUMBER = "PR000000012344"
CALL = "10:02 拨打 138****0000，本人同意放柜"


def job(next_step: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": 5,
        "kind": "delivery",
        "status": "started",
        "next_step": next_step or {},
        "shipment": {"tracking_no": NUMBER, "recipient_name": "李四", "cod_amount_fen": 0},
    }


def locker_flow(**kw: Any) -> DeliveryFlow:
    flow = DeliveryFlow(job(**kw), scanned=NUMBER)
    flow.choose_method("locker")
    flow.add_photo(b"jpeg", "image/jpeg")
    return flow


def test_a_locker_without_compartment_code_or_call_is_refused_with_each_reason() -> None:
    flow = locker_flow()
    flow.set_consent_name("")
    assert flow.confirm() is Step.PROOF
    assert flow.problems == [
        "Enter the compartment number",
        "Enter the locker code (4 to 10 digits)",
        "Consent needed: who agreed?",
        "Consent needed: note the call",
    ]


def test_the_reasons_are_in_chinese() -> None:
    flow = locker_flow()
    flow.confirm()
    shown = [i18n.translate(p, "zh_CN") for p in flow.problems]
    assert shown == ["请填写格口号", "请填写快递柜取件码（4–10位数字）", "需收件人同意：请填写通话记录"]


@pytest.mark.parametrize(("compartment", "code"), [("A 12", "123456"), ("A12", "12a4"), ("A12", "123")])
def test_a_malformed_compartment_or_code_is_refused(compartment: str, code: str) -> None:
    flow = locker_flow()
    flow.set_locker_compartment(compartment)
    flow.set_locker_code(code)
    flow.set_call_record(CALL)
    assert flow.confirm() is Step.PROOF
    assert len(flow.problems) == 1


def test_an_on_the_spot_consent_is_carried_in_the_proof() -> None:
    flow = locker_flow()
    flow.set_locker_compartment(" c-03 ")
    flow.set_locker_code("20261203")
    flow.set_consent_name("王芳")
    flow.choose_consent_relation("family")
    flow.set_call_record(CALL)
    assert flow.confirm() is Step.DONE
    proof, _files, _where = flow.result()
    assert proof == {
        "method": "locker",
        "recipient_relation": "locker",
        "recipient_name": "李四",
        "code": "",
        "locker_compartment": "C-03",
        "locker_code": "20261203",
        "consent_name": "王芳",
        "consent_relation": "family",
        "consent_call_record": CALL,
    }


def test_the_customers_answer_is_the_consent_and_no_call_is_asked() -> None:
    flow = locker_flow(next_step={"kind": "hold_locker", "consent_id": 77, "negotiation_id": 3})
    flow.set_consent_name("")
    flow.set_locker_compartment("A12")
    flow.set_locker_code("4321")
    assert flow.consent_id == 77
    assert flow.confirm() is Step.DONE
    proof = flow.result()[0]
    assert proof["consent_id"] == 77 and "consent_name" not in proof


def test_an_answer_for_another_place_is_not_consent_for_this_one() -> None:
    flow = DeliveryFlow(job(next_step={"kind": "neighbour", "consent_id": 77}), scanned=NUMBER)
    flow.choose_method("station")
    assert flow.consent_id is None
    flow.set_call_record("")
    assert flow.confirm() is Step.PROOF
    assert flow.problems == ["Consent needed: note the call"]
    flow.set_call_record(CALL)
    assert flow.confirm() is Step.DONE
    proof = flow.result()[0]
    assert (proof["method"], proof["recipient_relation"], proof["consent_name"]) == (
        "station",
        "station",
        "李四",
    )
    assert "locker_code" not in proof


def test_going_back_to_a_signature_drops_the_place_relation() -> None:
    flow = DeliveryFlow(job(), scanned=NUMBER)
    flow.choose_method("station")
    flow.choose_method("signature")
    assert (flow.draft.relation, flow.draft.recipient_name) == ("self", "李四")


def test_the_draft_with_the_locker_parts_survives_a_restart() -> None:
    flow = locker_flow()
    flow.set_locker_compartment("A12")
    flow.set_call_record(CALL)
    again = DeliveryFlow.restore(job(), flow.snapshot())
    assert (again.draft.locker_compartment, again.draft.consent_call_record) == ("A12", CALL)
