"""Failed attempts as Chinese couriers record them: the new reasons, per job kind, and no camera."""

from __future__ import annotations

from mobile.flows.failed_attempt import NO_CAMERA_NOTE, REASON_LABELS, FailedAttemptFlow, Step

JOB = {"id": 7, "kind": "delivery", "status": "started", "shipment": {"tracking_no": "PR000000000001"}}
PICKUP = {**JOB, "kind": "pickup"}


def test_the_reasons_of_chinese_practice_are_offered_and_fit_the_job_kind() -> None:
    delivery = FailedAttemptFlow(JOB).reason_codes
    for code in (
        "no_answer",
        "no_such_person",
        "out_of_area",
        "self_collect",
        "freight_refused",
        "contents_short",
    ):
        assert code in delivery and code in REASON_LABELS
    assert "prohibited_items" not in delivery
    pickup = FailedAttemptFlow(PICKUP).reason_codes
    assert "prohibited_items" in pickup and "no_real_name" in pickup and "cod_not_ready" not in pickup
    # The server's reference list wins: a code it does not know is not offered.
    assert FailedAttemptFlow(PICKUP, reason_codes=["not_home", "cod_not_ready"]).reason_codes == ["not_home"]


def test_no_camera_waives_the_photo_and_marks_the_attempt_for_the_supervisor() -> None:
    flow = FailedAttemptFlow(JOB)
    flow.choose_reason("no_such_person")  # needs a photo
    assert flow.submit_evidence() is Step.EVIDENCE and flow.problems
    flow.set_note("门卫说没这个人")
    flow.camera_unavailable()
    assert flow.submit_evidence() is Step.NEXT_STEP
    assert flow.note == f"门卫说没这个人 {NO_CAMERA_NOTE}"
    long = FailedAttemptFlow(JOB)
    long.choose_reason("no_such_person")
    long.set_note("x" * 500)
    long.camera_unavailable()
    assert len(long.note) <= 500 and long.note.endswith(NO_CAMERA_NOTE)


def test_with_a_photo_the_note_is_the_couriers_own() -> None:
    flow = FailedAttemptFlow(JOB)
    flow.choose_reason("not_home")
    flow.camera_unavailable()
    flow.add_photo(b"jpeg", "image/jpeg")
    assert flow.note == ""
