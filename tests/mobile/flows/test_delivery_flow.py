"""The delivery flow without a display: scan, proof, required parts, taps."""

from __future__ import annotations

from typing import Any

import pytest

from mobile.flows.delivery import DeliveryFlow, FlowError, Step

NUMBER = "PR000000012344"
PNG = b"\x89PNG\r\n\x1a\nsig"


def job(**shipment: Any) -> dict[str, Any]:
    return {
        "id": 5,
        "kind": "delivery",
        "status": "started",
        "shipment": {"tracking_no": NUMBER, "recipient_name": "李四", "cod_amount_fen": 0, **shipment},
    }


def test_scan_sign_confirm_is_one_tap_and_carries_the_gps_stamp() -> None:
    flow = DeliveryFlow(job(), locate=lambda: (30.28, 120.13, 8.0))
    assert flow.scan(NUMBER.lower()) is Step.PROOF
    flow.set_signature(PNG)
    assert flow.confirm() is Step.DONE
    proof, files, where = flow.result()
    assert flow.taps == 1
    assert proof == {
        "method": "signature",
        "recipient_relation": "self",
        "recipient_name": "李四",
        "code": "",
        "lat": 30.28,
        "lng": 120.13,
        "accuracy_m": 8.0,
    }
    assert files == [(PNG, "image/png")]
    assert where == {"lat": 30.28, "lng": 120.13, "accuracy_m": 8.0}


def test_the_wrong_parcel_does_not_open_the_proof() -> None:
    flow = DeliveryFlow(job())
    assert flow.scan("PR000000023390") is Step.SCAN
    assert flow.problems == ["This is not the parcel of this job"]


def test_no_signature_no_delivery() -> None:
    flow = DeliveryFlow(job(), scanned=NUMBER)
    assert flow.confirm() is Step.PROOF
    assert flow.problems == ["The recipient has not signed"]
    with pytest.raises(FlowError):
        flow.result()


def test_a_family_member_signing_must_give_their_own_name() -> None:
    flow = DeliveryFlow(job(), scanned=NUMBER)
    flow.choose_relation("family")
    flow.set_signature(PNG)
    assert flow.confirm() is Step.PROOF
    assert flow.problems == ["Who signed? Enter the name"]
    flow.set_recipient_name(" 李小四 ")
    assert flow.confirm() is Step.DONE
    assert flow.result()[0]["recipient_name"] == "李小四"
    assert flow.taps == 4  # relation, failed confirm, name, confirm


@pytest.mark.parametrize(
    ("method", "parts", "problem"),
    [
        ("photo", {}, "Take a photo of the parcel at the door"),
        ("code", {"code": "12"}, "Enter the pickup code (4 to 8 digits)"),
        ("locker", {"compartment": "A12", "locker_code": "246810"}, "Take a photo of the closed locker"),
    ],
)
def test_each_method_needs_its_part(method: str, parts: dict[str, str], problem: str) -> None:
    flow = DeliveryFlow(job(), scanned=NUMBER)
    flow.choose_method(method)
    if "code" in parts:
        flow.set_code(parts["code"])
    if "compartment" in parts:  # the locker's own parts and the consent (test_delivery_consent.py)
        flow.set_locker_compartment(parts["compartment"])
        flow.set_locker_code(parts["locker_code"])
        flow.set_call_record("10:02 拨打 138****0000，本人同意")
    assert flow.confirm() is Step.PROOF
    assert flow.problems == [problem]


def test_a_pickup_code_delivery_sends_the_code_and_no_files() -> None:
    flow = DeliveryFlow(job(), scanned=NUMBER)
    flow.choose_method("code")
    flow.set_code("4821")
    assert flow.confirm() is Step.DONE
    proof, files, _ = flow.result()
    assert (proof["method"], proof["code"], files) == ("code", "4821", [])


def test_locker_delivery_sets_the_relation_and_needs_a_photo() -> None:
    flow = DeliveryFlow(job(), scanned=NUMBER)
    flow.choose_method("locker")
    flow.add_photo(b"jpeg", "image/jpeg")
    flow.set_locker_compartment("b-07")
    flow.set_locker_code("135790")
    flow.set_call_record("10:02 拨打 138****0000")
    assert flow.confirm() is Step.DONE
    proof, files, where = flow.result()
    assert (proof["recipient_relation"], files, where) == ("locker", [(b"jpeg", "image/jpeg")], None)
    assert (proof["locker_compartment"], proof["locker_code"]) == ("B-07", "135790")


def test_cash_on_delivery_must_be_collected_first() -> None:
    flow = DeliveryFlow(job(cod_amount_fen=2500), scanned=NUMBER)
    flow.set_signature(PNG)
    assert flow.confirm() is Step.PROOF
    assert flow.problems == ["Collect the cash on delivery amount first"]
    flow.confirm_cod()
    assert flow.confirm() is Step.DONE
    assert flow.result()[0]["cod_collected_fen"] == 2500


def test_proof_calls_before_the_scan_are_a_ui_bug() -> None:
    flow = DeliveryFlow(job())
    with pytest.raises(FlowError):
        flow.confirm()


def test_a_pickup_job_is_not_delivered() -> None:
    with pytest.raises(FlowError):
        DeliveryFlow({**job(), "kind": "pickup"})
