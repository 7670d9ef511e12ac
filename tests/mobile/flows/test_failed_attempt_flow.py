"""The failed-attempt flow without a display: the reason decides the evidence; the next step is complete."""

from __future__ import annotations

import pytest

from mobile.flows.failed_attempt import FailedAttemptFlow, FlowError, Step

JOB = {"id": 9, "kind": "delivery", "status": "arrived", "shipment": {"tracking_no": "PR000000012344"}}


def test_not_home_needs_a_photo_and_a_call_then_a_new_window() -> None:
    flow = FailedAttemptFlow(JOB)
    assert flow.choose_reason("not_home") is Step.EVIDENCE
    assert flow.submit_evidence() is Step.EVIDENCE
    assert flow.problems == ["Take a photo as evidence", "Call the customer first"]
    flow.add_photo(b"door.jpg")
    flow.log_call("no_answer", 0)
    assert flow.submit_evidence() is Step.NEXT_STEP
    flow.choose_next(
        "new_window", window_start="2026-11-25T09:00:00+08:00", window_end="2026-11-25T12:00:00+08:00"
    )
    assert flow.confirm() is Step.DONE
    assert flow.next_step() == {
        "kind": "new_window",
        "window_start": "2026-11-25T09:00:00+08:00",
        "window_end": "2026-11-25T12:00:00+08:00",
    }
    assert flow.taps == 7


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("", ""),
        ("2026-11-25T12:00:00+08:00", "2026-11-25T09:00:00+08:00"),
        ("2026-11-25T09:00", "2026-11-25T12:00"),
    ],
)
def test_a_new_window_needs_two_ordered_zoned_times(start: str, end: str) -> None:
    flow = FailedAttemptFlow(JOB)
    flow.choose_reason("refused")
    flow.submit_evidence()
    flow.choose_next("new_window", window_start=start, window_end=end)
    assert flow.confirm() is Step.NEXT_STEP
    assert flow.problems == ["Give the new time window (start and end)"]


def test_redirect_needs_the_new_address() -> None:
    flow = FailedAttemptFlow(JOB)
    flow.choose_reason("customer_rescheduled")
    flow.log_call("answered", 42)
    flow.submit_evidence()
    flow.choose_next("redirect", address="")
    assert flow.confirm() is Step.NEXT_STEP
    flow.choose_next("redirect", address="杭州市西湖区文三路100号")
    assert flow.confirm() is Step.DONE
    assert flow.next_step() == {"kind": "redirect", "address": "杭州市西湖区文三路100号"}


def test_hold_at_the_station_needs_nothing_more_and_refused_needs_no_evidence() -> None:
    flow = FailedAttemptFlow(JOB)
    flow.choose_reason("refused")
    assert flow.submit_evidence() is Step.NEXT_STEP
    assert flow.confirm() is Step.NEXT_STEP  # no next step chosen yet
    flow.choose_next("hold_station")
    assert flow.confirm() is Step.DONE
    assert flow.next_step() == {"kind": "hold_station"}


def test_unknown_codes_are_ui_bugs() -> None:
    flow = FailedAttemptFlow(JOB, reason_codes=["not_home"])
    with pytest.raises(FlowError):
        flow.choose_reason("refused")
    flow.choose_reason("not_home")
    with pytest.raises(FlowError):
        flow.log_call("shouted", 3)
    with pytest.raises(FlowError):
        flow.choose_next("teleport")


def test_back_returns_to_the_evidence() -> None:
    flow = FailedAttemptFlow(JOB)
    flow.choose_reason("refused")
    flow.submit_evidence()
    assert flow.back() is Step.EVIDENCE
    assert flow.back() is Step.REASON
    with pytest.raises(FlowError):
        flow.back()


@pytest.mark.parametrize("reference", [None, ["not_home", "cod_refused", "cod_partial", "cod_not_ready"]])
def test_cod_failure_reasons_are_offered_only_for_a_cod_parcel(reference: list[str] | None) -> None:
    plain = FailedAttemptFlow(JOB, reason_codes=reference)
    assert "cod_refused" not in plain.reason_codes and "cod_partial" not in plain.reason_codes
    assert "not_home" in plain.reason_codes
    with pytest.raises(FlowError):
        plain.choose_reason("cod_refused")
    cod = FailedAttemptFlow(
        {**JOB, "shipment": {**JOB["shipment"], "cod_amount_fen": 2500}},  # type: ignore[dict-item]
        reason_codes=reference,
    )
    assert {"cod_refused", "cod_partial"} <= set(cod.reason_codes)
