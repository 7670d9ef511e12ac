"""The op payloads the handheld builds are the shapes the server's handlers read."""

from __future__ import annotations

from parcelkit import ops


def test_a_job_op_carries_the_job_then_its_fields_then_where_it_happened() -> None:
    payload = ops.job_payload(7, ops.call_log_fields(30, "busy"), {"lat": 30.1, "lng": 120.2})
    assert payload == {"job_id": 7, "duration_s": 30, "outcome": "busy", "lat": 30.1, "lng": 120.2}


def test_a_delivery_proof_lists_its_images() -> None:
    fields = ops.deliver_fields({"method": "photo", "recipient_relation": "self"}, ["ab" * 32])
    assert fields == {"proof": {"method": "photo", "recipient_relation": "self", "media_sha256": ["ab" * 32]}}


def test_a_failed_attempt_carries_reason_note_next_step_and_photos() -> None:
    assert ops.fail_fields("not_home", "", {}, []) == {
        "reason_code": "not_home",
        "note": "",
        "next_step": {},
        "photo_sha256": [],
    }


def test_scan_and_location_are_not_job_ops() -> None:
    assert ops.scan_payload("PR000000000018", "sorted") == {
        "tracking_no": "PR000000000018",
        "scan_kind": "sorted",
    }
    assert ops.location_payload(30.0, 120.0) == {"lat": 30.0, "lng": 120.0}
    assert ops.location_payload(30.0, 120.0, 5.0)["accuracy_m"] == 5.0


def test_every_name_a_weigh_op_reserves_is_outside_the_pickup_fields() -> None:
    assert set(ops.WHERE_FIELDS) <= set(ops.PICKUP_ENVELOPE)
    assert {"job_id", "pricing"} <= set(ops.PICKUP_ENVELOPE)
    assert "scan" in ops.KINDS and "call_log" in ops.KINDS


def test_the_handhelds_call_outcomes_are_the_servers() -> None:
    from mobile.flows.failed_attempt import CALL_OUTCOME_LABELS

    assert set(CALL_OUTCOME_LABELS) == ops.CALL_OUTCOMES
