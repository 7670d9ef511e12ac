"""The conflict table of docs/sync-protocol.md, one rule per test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.shipments.models import FeedEntry, Job, Shipment, TrackingEvent
from backend.shipments.services import job_assign, scan
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
    assert body["results"][0]["message"] == f"job {job.pk} was not yours when you delivered it"
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


def test_a_station_scan_and_a_courier_op_on_one_parcel_both_apply(station, courier, supervisor) -> None:
    mine, me = courier
    job = ready_job(station, supervisor, mine)
    scan(tracking_no=job.shipment.tracking_no, scan_kind="sorted", ctx=supervisor.ctx)
    assert outcomes(push(me, [op(me, "start", {"job_id": job.pk})])) == [("applied", "")]
