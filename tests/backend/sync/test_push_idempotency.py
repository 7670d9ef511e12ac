"""Push: one outcome per op; op ids make replays harmless; a bad op never blocks the rest."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from backend.shipments.models import Job, TrackingEvent
from backend.sync.models import AppliedOp, DeviceState
from tests.backend.sync.helpers import device_of, op, outcomes, push, ready_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def job(station, courier, supervisor) -> Job:
    return ready_job(station, supervisor, courier[0])


def test_an_op_is_applied_once_and_a_replay_gets_the_stored_result(job, courier) -> None:
    person = courier[1]
    start = op(person, "start", {"job_id": job.pk})
    first = push(person, [start])
    assert outcomes(first) == [("applied", "")]
    events = TrackingEvent.objects.count()
    again = push(person, [start])
    assert again["results"] == [{"op_id": start["op_id"], "outcome": "duplicate", "original": "applied"}]
    assert TrackingEvent.objects.count() == events
    assert Job.objects.get(pk=job.pk).status == "started"
    assert AppliedOp.objects.filter(op_id=start["op_id"]).count() == 1


def test_a_rejected_op_replayed_is_a_duplicate_with_its_reason(job, courier) -> None:
    person = courier[1]
    arrive = op(person, "arrive", {"job_id": job.pk})  # not started yet: refused by the transition table
    assert outcomes(push(person, [arrive])) == [("rejected", "invalid_transition")]
    again = push(person, [arrive])["results"][0]
    assert (again["outcome"], again["original"], again["code"]) == (
        "duplicate",
        "rejected",
        "invalid_transition",
    )
    assert again["message"] == "a job cannot go from assigned to arrived"


def test_the_same_op_id_with_another_payload_is_refused(job, courier) -> None:
    person = courier[1]
    start = op(person, "start", {"job_id": job.pk})
    push(person, [start])
    changed = {**start, "payload": {"job_id": job.pk, "lat": 30.1, "lng": 120.1}}
    assert outcomes(push(person, [changed])) == [("rejected", "op_id_reused")]
    assert AppliedOp.objects.get(op_id=start["op_id"]).outcome == "applied"


def test_the_same_op_twice_in_one_batch_is_applied_once(job, courier) -> None:
    person = courier[1]
    start = op(person, "start", {"job_id": job.pk})
    body = push(person, [start, start])
    assert outcomes(body) == [("applied", ""), ("duplicate", "")]
    assert TrackingEvent.objects.filter(idempotency_key=start["op_id"]).count() == 1


def test_bad_ops_are_rejected_with_codes_and_the_rest_applies(
    job, courier, other_courier, station, supervisor
) -> None:
    person = courier[1]
    theirs = ready_job(station, supervisor, other_courier[0])
    ops = [
        "not an object",
        {**op(person, "start", {"job_id": job.pk}), "op_id": "123"},
        op(person, "teleport", {"job_id": job.pk}),
        op(person, "start", {"job_id": "seven"}),
        op(person, "start", {"job_id": theirs.pk}),
        {**op(person, "start", {"job_id": job.pk}), "event_at": "yesterday"},
        op(person, "start", {"job_id": job.pk}, device="someone-elses-phone"),
        op(person, "start", {"job_id": 10**9}),
        op(person, "start", {"job_id": job.pk}),
    ]
    body = push(person, ops)
    assert outcomes(body) == [
        ("rejected", "malformed_op"),
        ("rejected", "malformed_op"),
        ("rejected", "unknown_kind"),
        ("rejected", "malformed_op"),
        ("rejected", "not_assigned_to_you"),
        ("rejected", "malformed_op"),
        ("rejected", "wrong_device"),
        ("rejected", "not_found"),
        ("applied", ""),
    ]
    assert body["results"][4]["message"] == f"job {theirs.pk} is not assigned to you any more"
    assert Job.objects.get(pk=job.pk).status == "started"
    assert Job.objects.get(pk=theirs.pk).status == "assigned"


def test_a_gap_in_the_device_sequence_is_reported_until_filled(job, courier) -> None:
    person = courier[1]
    body = push(person, [op(person, "location", {"lat": 30.2, "lng": 120.1}, seq=s) for s in (1, 2, 5)])
    assert body["device"] == {"max_seq": 5, "gaps": [[3, 4]]}
    body = push(person, [op(person, "location", {"lat": 30.2, "lng": 120.1}, seq=3)])
    assert body["device"] == {"max_seq": 5, "gaps": [[4, 4]]}
    state = DeviceState.objects.get(user=person.user, device_id=device_of(person))
    assert (state.max_seq, state.gaps) == (5, [[4, 4]])


def test_an_empty_or_oversized_push_is_refused_whole(courier) -> None:
    from rest_framework.test import APIClient

    person = courier[1]
    client = APIClient()
    empty = client.post("/api/v1/sync/push", {"ops": []}, format="json", **person.auth)
    assert (empty.status_code, empty.json()["code"]) == (400, "invalid")
    big = client.post("/api/v1/sync/push", {"ops": [{}] * 1001}, format="json", **person.auth)
    assert (big.status_code, big.json()["code"]) == (400, "invalid")
    garbage = client.post("/api/v1/sync/push", b"{nope", content_type="application/json", **person.auth)
    assert (garbage.status_code, garbage.json()["code"]) == (400, "parse_error")


def test_wrong_types_and_sizes_inside_a_payload_are_refused_not_retried(job, courier) -> None:
    from tests.backend.sync.helpers import proof

    person = courier[1]
    ops = [
        op(person, "start", {"job_id": 2**70}),
        op(person, "deliver", {"job_id": job.pk, "proof": proof(recipient_name=123)}),
        op(person, "deliver", {"job_id": job.pk, "proof": proof(media_sha256=[1])}),
        op(person, "deliver", {"job_id": job.pk, "proof": {**proof(), "colour": "red"}}),
        op(person, "start", {"job_id": job.pk}),
        op(person, "deliver", {"job_id": job.pk, "proof": proof()}),
    ]
    assert outcomes(push(person, ops)) == [("rejected", "malformed_op")] * 4 + [
        ("applied", ""),
        ("applied", ""),
    ]


@pytest.mark.postgres
def test_a_value_the_database_cannot_hold_is_refused_not_retried(job, courier) -> None:
    from tests.backend.sync.helpers import proof

    person = courier[1]
    ops = [
        op(person, "start", {"job_id": job.pk}),
        op(person, "deliver", {"job_id": job.pk, "proof": proof(recipient_name="名" * 65)}),
        op(person, "deliver", {"job_id": job.pk, "proof": proof()}),
    ]
    body = push(person, ops)
    assert outcomes(body) == [("applied", ""), ("rejected", "malformed_op"), ("applied", "")]
    # The database's words name columns and types: no business of the device (issue 16).
    message = body["results"][1]["message"]
    assert message == "a value in this op is too long or out of range"
    assert "character varying" not in json.dumps(body)


def test_a_proof_with_its_capture_time_is_accepted_as_docs_api_says(job, courier) -> None:
    from tests.backend.sync.helpers import proof

    person = courier[1]
    taken = timezone.now() - timedelta(minutes=3)
    ops = [
        op(person, "start", {"job_id": job.pk}),
        op(person, "deliver", {"job_id": job.pk, "proof": proof(captured_at="yesterday")}),
        op(person, "deliver", {"job_id": job.pk, "proof": proof(captured_at=taken.isoformat())}),
    ]
    body = push(person, ops)
    assert outcomes(body) == [("applied", ""), ("rejected", "malformed_op"), ("applied", "")]
    assert "proof.captured_at" in body["results"][1]["message"]
    assert Job.objects.get(pk=job.pk).status == "completed"


def test_a_replayed_batch_mixed_with_new_ops_answers_each_op(job, courier) -> None:
    person = courier[1]
    early = op(person, "arrive", {"job_id": job.pk}, seq=1)  # not started yet: refused
    start = op(person, "start", {"job_id": job.pk}, seq=2)
    push(person, [early, start])
    arrive = op(person, "arrive", {"job_id": job.pk}, seq=3)
    body = push(person, [early, start, arrive])
    assert [(r["outcome"], r.get("original"), r.get("code")) for r in body["results"]] == [
        ("duplicate", "rejected", "invalid_transition"),
        ("duplicate", "applied", None),
        ("applied", None, None),
    ]
    assert TrackingEvent.objects.filter(idempotency_key__in=[start["op_id"], arrive["op_id"]]).count() == 2


def test_a_replay_the_device_state_does_not_expect_is_still_a_duplicate(job, courier) -> None:
    # Ops above the device's max_seq skip the look-up before the claim (they are normally new);
    # an old op id arriving that way (a restored device state) must still be found, not re-applied.
    person = courier[1]
    arrive = op(person, "arrive", {"job_id": job.pk}, seq=7)
    first = push(person, [arrive])["results"][0]
    DeviceState.objects.filter(user=person.user).update(max_seq=0, gaps=[])
    again = push(person, [arrive])["results"][0]
    assert (again["outcome"], again["original"], again["code"]) == (
        "duplicate",
        "rejected",
        "invalid_transition",
    )
    assert (again["message"], again["details"]) == (first["message"], first["details"])
    assert AppliedOp.objects.filter(op_id=arrive["op_id"]).count() == 1


def test_an_op_id_in_capitals_is_the_same_op_as_in_lower_case(job, courier) -> None:
    person = courier[1]
    start = op(person, "start", {"job_id": job.pk})
    first = push(person, [{**start, "op_id": start["op_id"].upper()}])
    assert outcomes(first) == [("applied", "")]
    assert first["results"][0]["op_id"] == start["op_id"]  # answered in canonical form
    assert outcomes(push(person, [start])) == [("duplicate", "")]
    assert AppliedOp.objects.filter(op_id=start["op_id"]).count() == 1


def test_a_claim_hashed_before_orjson_still_recognises_its_replay(job, courier) -> None:
    from backend.sync.ops import legacy_payload_hash, payload_hash

    person = courier[1]
    # json writes 1e-07 where orjson writes 1e-7: the two hashes of this op differ.
    start = op(person, "start", {"job_id": job.pk, "lat": 1e-07, "lng": 120.125})
    push(person, [start])
    row = AppliedOp.objects.get(op_id=start["op_id"])
    legacy = legacy_payload_hash("start", start["event_at"], start["payload"])
    assert row.payload_hash == payload_hash("start", start["event_at"], start["payload"]) != legacy
    AppliedOp.objects.filter(pk=row.pk).update(payload_hash=legacy[::-1])  # neither hash: a changed payload
    assert outcomes(push(person, [start])) == [("rejected", "op_id_reused")]
    AppliedOp.objects.filter(pk=row.pk).update(payload_hash=legacy)  # what an older server stored
    assert outcomes(push(person, [start])) == [("duplicate", "")]


def test_a_next_step_with_fields_nobody_defined_is_refused_not_stored(job, courier) -> None:
    """Issue 16: ``{kind: retry, junk: <1 MB>, is_admin: true}`` was stored and copied into every feed row."""
    person = courier[1]
    push(person, [op(person, "start", {"job_id": job.pk})])
    junk = {"kind": "retry", "junk": "x" * 100_000, "is_admin": True}
    too_long = {"kind": "redirect", "address": "文" * 256}
    backwards = {
        "kind": "new_window",
        "window_start": "2026-11-25T16:00+08:00",
        "window_end": "2026-11-25T14:00+08:00",
    }
    ops = [
        op(person, "fail", {"job_id": job.pk, "reason_code": "not_home", "next_step": junk}),
        op(person, "fail", {"job_id": job.pk, "reason_code": "not_home", "next_step": too_long}),
        op(person, "fail", {"job_id": job.pk, "reason_code": "not_home", "next_step": backwards}),
        op(person, "fail", {"job_id": job.pk, "reason_code": "not_home", "next_step": {"kind": "retry"}}),
    ]
    body = push(person, ops)
    assert outcomes(body) == [
        ("rejected", "invalid"),
        ("rejected", "invalid"),
        ("rejected", "invalid_time_window"),
        ("applied", ""),
    ]
    assert "unknown fields ['is_admin', 'junk']" in body["results"][0]["message"]
    assert Job.objects.get(pk=job.pk).next_step == {"kind": "retry"}
