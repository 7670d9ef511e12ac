"""The conflict table of docs/sync-protocol.md, one rule per test."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from backend.common.errors import DomainError
from backend.shipments.models import FeedEntry, Job, OfflineConflict, Shipment, TrackingEvent
from backend.shipments.services import job_assign, job_cancel, job_unassign, scan, shipment_transition
from backend.shipments.services.offline import offline_conflict_resolve
from backend.sync.models import DeviceState
from tests.backend.sync.helpers import device_of, minutes_ago, op, outcomes, proof, pull, push, ready_job

pytestmark = pytest.mark.django_db


def test_a_delivery_recorded_offline_beats_a_later_reassignment(
    station, courier, other_courier, supervisor
) -> None:
    (mine, me), (theirs, them) = courier, other_courier
    job = ready_job(station, supervisor, mine)
    push(me, [op(me, "start", {"job_id": job.pk}, event_at=minutes_ago(30))])
    delivered_at = timezone.now()  # the handheld records the delivery, offline…
    job_assign(job_id=job.pk, courier_id=theirs.pk, ctx=supervisor.ctx)  # …the station gives the job away
    cursor_them = pull(them)["cursor"]
    body = push(me, [op(me, "deliver", {"job_id": job.pk, "proof": proof()}, event_at=delivered_at)])
    assert body["results"][0]["outcome"] == "applied"
    assert body["results"][0]["conflict"] == "offline_delivery_beats_reassignment"
    job.refresh_from_db()
    assert (job.status, job.courier_id) == ("completed", mine.pk)
    assert Shipment.objects.get(pk=job.shipment_id).status == "delivered"
    alert = FeedEntry.objects.get(job_id=job.pk, kind="job.delivered_offline")
    assert alert.payload["conflict"]["reassigned_to"] == theirs.pk
    assert alert.station_id == station.pk
    assert pull(them, cursor_them)["changes"] == [{"c": alert.cursor, "op": "revoke", "job_id": job.pk}]


def test_a_delivery_recorded_after_the_reassignment_is_refused(
    station, courier, other_courier, supervisor
) -> None:
    (mine, me), (theirs, _) = courier, other_courier
    job = ready_job(station, supervisor, mine)
    push(me, [op(me, "start", {"job_id": job.pk})])
    job_assign(job_id=job.pk, courier_id=theirs.pk, ctx=supervisor.ctx)
    later = timezone.now() + timedelta(seconds=1)
    body = push(me, [op(me, "deliver", {"job_id": job.pk, "proof": proof()}, event_at=later)])
    assert outcomes(body) == [("rejected", "not_assigned_to_you")]
    assert body["results"][0]["message"] == f"job {job.pk} was not yours at that time"
    job.refresh_from_db()
    assert (job.status, job.courier_id) == ("assigned", theirs.pk)


def test_an_offline_delivery_loses_to_a_delivery_already_made(
    station, courier, other_courier, supervisor
) -> None:
    (mine, me), (theirs, them) = courier, other_courier
    job = ready_job(station, supervisor, mine)
    push(me, [op(me, "start", {"job_id": job.pk}, event_at=minutes_ago(20))])
    recorded = timezone.now()
    job_assign(job_id=job.pk, courier_id=theirs.pk, ctx=supervisor.ctx)
    push(
        them,
        [op(them, "start", {"job_id": job.pk}), op(them, "deliver", {"job_id": job.pk, "proof": proof()})],
    )
    body = push(me, [op(me, "deliver", {"job_id": job.pk, "proof": proof()}, event_at=recorded)])
    assert outcomes(body) == [("rejected", "job_closed")]
    assert Job.objects.get(pk=job.pk).courier_id == theirs.pk


def test_two_devices_of_one_courier_taking_the_same_step(station, courier, supervisor) -> None:
    mine, me = courier
    job = ready_job(station, supervisor, mine)
    phone = op(me, "start", {"job_id": job.pk})
    tablet = op(me, "start", {"job_id": job.pk})
    assert outcomes(push(me, [phone])) == [("applied", "")]
    body = push(me, [tablet])
    assert outcomes(body) == [("rejected", "already_done")]
    assert body["results"][0]["message"] == "this job is already started (recorded from another device)"


def test_a_weight_recorded_twice_keeps_the_first(station, courier, supervisor) -> None:
    mine, me = courier
    job = ready_job(station, supervisor, mine, kind="pickup")
    weigh = {
        "job_id": job.pk,
        "measured_weight_g": 1200,
        "weight_source": "scale",
        "scale_model": "T1",
        "prohibited_items_absent": True,
    }
    push(me, [op(me, "start", {"job_id": job.pk})])
    assert outcomes(push(me, [op(me, "weigh", weigh)])) == [("applied", "")]
    body = push(me, [op(me, "weigh", {**weigh, "measured_weight_g": 1350})])
    assert outcomes(body) == [("rejected", "already_weighed")]
    assert body["results"][0]["details"] == {"recorded_weight_g": 1200}
    assert Shipment.objects.get(pk=job.shipment_id).measured_weight_g == 1200


def test_scans_are_facts_kept_with_both_times_even_out_of_order(station, courier, supervisor) -> None:
    mine, me = courier
    job = ready_job(station, supervisor, mine)
    push(me, [op(me, "start", {"job_id": job.pk}), op(me, "deliver", {"job_id": job.pk, "proof": proof()})])
    late_at = minutes_ago(90)  # a station-in scan from this morning, uploaded after the delivery
    late = op(
        me, "scan", {"tracking_no": job.shipment.tracking_no, "scan_kind": "station_in"}, event_at=late_at
    )
    body = push(me, [late])
    assert body["results"] == [{"op_id": late["op_id"], "outcome": "applied", "status_unchanged": True}]
    event = TrackingEvent.objects.get(idempotency_key=late["op_id"])
    assert event.event_at == late_at and event.received_at > late_at
    assert event.details["status_unchanged"] is True and event.details["status_was"] == "delivered"
    assert Shipment.objects.get(pk=job.shipment_id).status == "delivered"


def test_a_skewed_device_clock_is_kept_and_flagged(station, courier, supervisor) -> None:
    mine, me = courier
    job = ready_job(station, supervisor, mine)
    skewed = timezone.now() + timedelta(hours=2)
    body = push(me, [op(me, "start", {"job_id": job.pk}, event_at=skewed)], sent_at=skewed.isoformat())
    assert outcomes(body) == [("applied", "")]
    assert body["clock_offset_s"] == pytest.approx(7200, abs=5)
    event = TrackingEvent.objects.get(job=job, kind="job_started")
    assert event.event_at == skewed
    assert event.details["clock_skew_s"] == pytest.approx(-7200, abs=5)
    assert DeviceState.objects.get(device_id=device_of(me)).clock_offset_s == pytest.approx(7200, abs=5)


def test_a_clock_set_to_2100_is_capped_not_a_500(station, courier) -> None:
    # The offset outgrew its integer column and the whole push answered 500 (found by schemathesis).
    _, me = courier
    body = push(me, [op(me, "start", {"job_id": 2**40})], sent_at="2100-04-21T00:58:31+13:35")
    assert body["clock_offset_s"] == 2**31 - 1
    assert DeviceState.objects.get(device_id=device_of(me)).clock_offset_s == 2**31 - 1


def test_a_station_scan_and_a_courier_op_on_one_parcel_both_apply(station, courier, supervisor) -> None:
    mine, me = courier
    job = ready_job(station, supervisor, mine)
    scan(tracking_no=job.shipment.tracking_no, scan_kind="sorted", ctx=supervisor.ctx)
    assert outcomes(push(me, [op(me, "start", {"job_id": job.pk})])) == [("applied", "")]


def _held(body: dict[str, Any]) -> OfflineConflict:
    result = body["results"][0]
    assert (result["outcome"], result["conflict"]) == ("applied", "held_for_supervisor")
    return OfflineConflict.objects.get(pk=result["offline_conflict_id"])


def test_a_back_dated_delivery_after_the_station_took_the_job_back_is_held(
    station, courier, supervisor
) -> None:
    """Issue 16: unassigned and put in exception, then a delivery with event_at = T completed it."""
    mine, me = courier
    job = ready_job(station, supervisor, mine)
    held_at = timezone.now()  # the courier still held the job then (offline: nothing sent)
    job_unassign(job_id=job.pk, ctx=supervisor.ctx, reason="no progress")
    shipment_transition(shipment_id=job.shipment_id, to="exception", ctx=supervisor.ctx, reason="lost?")
    sent = op(me, "deliver", {"job_id": job.pk, "proof": proof(method="station")}, event_at=held_at)
    conflict = _held(push(me, [sent]))
    job.refresh_from_db()
    assert (job.status, job.courier_id) == ("pending", None)
    assert Shipment.objects.get(pk=job.shipment_id).status == "exception"
    assert not TrackingEvent.objects.filter(job_id=job.pk, kind="delivered").exists()
    assert (conflict.kind, conflict.courier_id, conflict.op_id) == ("deliver", mine.pk, sent["op_id"])
    assert conflict.fact["method"] == "station" and conflict.state == "open"
    assert conflict.server_side == {
        "job_status": "pending",
        "job_courier_id": None,
        "shipment_status": "exception",
    }
    # Accepting cannot apply what the table forbids (exception → delivered): nothing is written.
    with pytest.raises(DomainError) as exc:
        offline_conflict_resolve(conflict_id=conflict.pk, ctx=supervisor.ctx, accept=True, reason="ok")
    assert exc.value.code == "invalid_transition"
    conflict.refresh_from_db()
    assert conflict.state == "open"
    done = offline_conflict_resolve(
        conflict_id=conflict.pk, ctx=supervisor.ctx, accept=False, reason="recipient denies it"
    )
    assert (done.state, done.resolution_reason, done.resolved_by_id) == (
        "rejected",
        "recipient denies it",
        supervisor.user.pk,
    )
    assert Job.objects.get(pk=job.pk).status == "pending"


def test_a_delivery_recorded_before_a_cancel_is_kept_for_the_supervisor(station, courier, supervisor) -> None:
    """Issue 17: the parcel is in the customer's hands with a signature; the server said cancelled."""
    mine, me = courier
    job = ready_job(station, supervisor, mine)
    push(me, [op(me, "start", {"job_id": job.pk})])
    delivered_at = timezone.now()
    job_cancel(job_id=job.pk, ctx=supervisor.ctx, reason="sender cancelled")
    conflict = _held(
        push(me, [op(me, "deliver", {"job_id": job.pk, "proof": proof()}, event_at=delivered_at)])
    )
    assert conflict.fact["recipient_name"] == "李四" and conflict.fact["media_sha256"] == ["a" * 64]
    assert Job.objects.get(pk=job.pk).status == "cancelled"


def test_a_held_delivery_accepted_where_the_tables_allow_completes_the_job(
    station, courier, supervisor
) -> None:
    mine, me = courier
    job = ready_job(station, supervisor, mine)
    push(me, [op(me, "start", {"job_id": job.pk})])
    delivered_at = timezone.now()
    shipment_transition(shipment_id=job.shipment_id, to="exception", ctx=supervisor.ctx, reason="damaged?")
    conflict = _held(
        push(me, [op(me, "deliver", {"job_id": job.pk, "proof": proof()}, event_at=delivered_at)])
    )
    assert Job.objects.get(pk=job.pk).status == "started"
    # The supervisor clears the exception first, then accepts: the job completes for the courier.
    for to in ("at_station", "out_for_delivery"):
        shipment_transition(shipment_id=job.shipment_id, to=to, ctx=supervisor.ctx, reason="found intact")
    offline_conflict_resolve(
        conflict_id=conflict.pk, ctx=supervisor.ctx, accept=True, reason="signature checked"
    )
    job.refresh_from_db()
    assert (job.status, job.courier_id) == ("completed", mine.pk)
    assert Shipment.objects.get(pk=job.shipment_id).status == "delivered"
    with pytest.raises(DomainError) as exc:
        offline_conflict_resolve(conflict_id=conflict.pk, ctx=supervisor.ctx, accept=False, reason="again")
    assert exc.value.code == "already_done"


def test_a_failed_attempt_recorded_before_a_reassignment_is_kept_without_effect(
    station, courier, other_courier, supervisor
) -> None:
    (mine, me), (theirs, _) = courier, other_courier
    job = ready_job(station, supervisor, mine)
    push(me, [op(me, "start", {"job_id": job.pk})])
    failed_at = timezone.now()
    job_assign(job_id=job.pk, courier_id=theirs.pk, ctx=supervisor.ctx)
    attempt = {"job_id": job.pk, "reason_code": "not_home", "note": "敲门无人", "photo_sha256": ["b" * 64]}
    conflict = _held(push(me, [op(me, "fail", attempt, event_at=failed_at)]))
    assert (conflict.kind, conflict.fact["reason_code"], conflict.fact["note"]) == (
        "fail",
        "not_home",
        "敲门无人",
    )
    job.refresh_from_db()
    assert (job.status, job.courier_id, job.attempt_count) == ("assigned", theirs.pk, 0)


def test_a_back_dated_op_is_judged_no_earlier_than_the_ops_recorded_before_it(
    station, courier, other_courier, supervisor
) -> None:
    """The device's own history: an op sent after ops stamped later cannot claim an earlier time."""
    (mine, me), (theirs, _) = courier, other_courier
    job = ready_job(station, supervisor, mine)
    push(me, [op(me, "start", {"job_id": job.pk})])
    while_held = timezone.now()
    job_assign(job_id=job.pk, courier_id=theirs.pk, ctx=supervisor.ctx)
    # The device keeps working after the reassignment (a position now)…
    push(me, [op(me, "location", {"lat": 30.2, "lng": 120.1})])
    # …then sends a delivery claiming a time before it: judged at the position's time, not its own.
    forged = op(me, "deliver", {"job_id": job.pk, "proof": proof()}, event_at=while_held)
    body = push(me, [forged])
    assert outcomes(body) == [("rejected", "not_assigned_to_you")]
    job.refresh_from_db()
    assert (job.status, job.courier_id) == ("assigned", theirs.pk)
