"""Behaviour of the lifecycle services beyond the table: who may act, what is recorded, publishing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.layers import get_channel_layer
from django.utils import timezone

from backend.broadcast.envelope import courier_group
from backend.common.errors import DomainError
from backend.shipments import services as svc
from backend.shipments.context import Ctx
from backend.shipments.models import DeliveryAttempt, FeedEntry, Job, ProofOfDelivery, Shipment, TrackingEvent
from backend.shipments.services.door_inputs import PickupInput, ProofInput
from backend.shipments.states import ShipmentStatus
from tests.fixtures.jobs import make_job


@pytest.fixture
def started_delivery(station, supervisor, courier):
    job = make_job(station, supervisor.ctx, cod_amount_fen=5000, delivery_code="482913")
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    return svc.job_start(job_id=job.pk, ctx=courier[1].ctx)


def test_a_courier_cannot_act_on_another_couriers_job(started_delivery, other_courier) -> None:
    with pytest.raises(DomainError) as exc:
        svc.job_arrive(job_id=started_delivery.pk, ctx=other_courier[1].ctx)
    assert exc.value.code == "not_assigned_to_you"
    assert Job.objects.get(pk=started_delivery.pk).status == "started"


def test_a_courier_cannot_assign(station, supervisor, courier) -> None:
    job = make_job(station, supervisor.ctx)
    with pytest.raises(DomainError) as exc:
        svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=courier[1].ctx)
    assert exc.value.code == "wrong_role"


def test_a_supervisor_of_another_station_cannot_assign(
    station, supervisor, other_supervisor, courier
) -> None:
    job = make_job(station, supervisor.ctx)
    with pytest.raises(DomainError) as exc:
        svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=other_supervisor.ctx)
    assert exc.value.code == "permission_denied"


def test_assigning_a_courier_of_another_station_is_refused(station, other_station, supervisor) -> None:
    from tests.fixtures.people import make_courier

    far, _ = make_courier(other_station)
    job = make_job(station, supervisor.ctx)
    with pytest.raises(DomainError) as exc:
        svc.job_assign(job_id=job.pk, courier_id=far.pk, ctx=supervisor.ctx)
    assert exc.value.code == "courier_other_station"


def test_stale_version_is_a_conflict(started_delivery, courier) -> None:
    with pytest.raises(DomainError) as exc:
        svc.job_arrive(
            job_id=started_delivery.pk, ctx=courier[1].ctx, expected_version=started_delivery.version - 1
        )
    assert exc.value.code == "version_conflict"
    assert exc.value.details["current_version"] == started_delivery.version


def test_delivery_needs_cod_and_the_right_code(started_delivery, courier) -> None:
    ctx = courier[1].ctx
    wrong_code = ProofInput(method="code", recipient_relation="self", code="000000", cod_collected_fen=5000)
    no_cash = ProofInput(method="code", recipient_relation="self", code="482913")
    # the COD amount missing has its own code (docs/cod.md), a wrong pickup code is an incomplete proof
    for proof, code in ((wrong_code, "proof_incomplete"), (no_cash, "cod_amount_mismatch")):
        with pytest.raises(DomainError) as exc:
            svc.job_deliver(job_id=started_delivery.pk, ctx=ctx, proof=proof)
        assert exc.value.code == code
    assert not ProofOfDelivery.objects.exists()
    good = ProofInput(method="code", recipient_relation="family", code="482913", cod_collected_fen=5000)
    job = svc.job_deliver(job_id=started_delivery.pk, ctx=ctx, proof=good)
    proof = ProofOfDelivery.objects.get(job=job)
    assert proof.code_verified is True and proof.recipient_relation == "family"
    assert Shipment.objects.get(pk=job.shipment_id).status == ShipmentStatus.DELIVERED
    attempt = DeliveryAttempt.objects.get(job=job)
    assert attempt.succeeded is True and attempt.number == 1


def test_signature_without_image_is_incomplete(started_delivery, courier) -> None:
    proof = ProofInput(
        method="signature", recipient_relation="self", recipient_name="李四", cod_collected_fen=5000
    )
    with pytest.raises(DomainError) as exc:
        svc.job_deliver(job_id=started_delivery.pk, ctx=courier[1].ctx, proof=proof)
    assert exc.value.code == "proof_incomplete"


def test_failed_attempt_records_reason_and_next_step(started_delivery, courier) -> None:
    step = {
        "kind": "new_window",
        "window_start": "2026-11-24T18:00:00+08:00",
        "window_end": "2026-11-24T20:00:00+08:00",
    }
    job = svc.job_fail(
        job_id=started_delivery.pk,
        ctx=courier[1].ctx,
        reason_code="not_home",
        next_step=step,
        note="按门铃无人",
    )
    assert job.attempt_count == 1 and job.next_step == step
    attempt = DeliveryAttempt.objects.get(job=job)
    assert (attempt.reason_code, attempt.next_step, attempt.succeeded) == ("not_home", "new_window", False)
    assert Shipment.objects.get(pk=job.shipment_id).status == ShipmentStatus.DELIVERY_FAILED
    with pytest.raises(DomainError) as exc:
        svc.job_fail(job_id=job.pk, ctx=courier[1].ctx, reason_code="aliens")
    assert exc.value.code == "unknown_reason_code"


def test_pickup_completion_records_the_measurement(station, supervisor, courier) -> None:
    job = make_job(station, supervisor.ctx, "pickup")
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    svc.job_start(job_id=job.pk, ctx=courier[1].ctx)
    data = PickupInput(
        measured_weight_g=2350,
        weight_source="manual",
        manual_reason="scale battery flat",
        length_mm=300,
        width_mm=200,
        height_mm=150,
        pieces=2,
        prohibited_items_absent=True,
        price_fen=1800,
        payment_method="wechat",
    )
    svc.job_complete_pickup(job_id=job.pk, ctx=courier[1].ctx, data=data)
    shipment = Shipment.objects.get(pk=job.shipment_id)
    assert shipment.status == ShipmentStatus.PICKED_UP
    assert (shipment.measured_weight_g, shipment.pieces, shipment.price_fen) == (2350, 2, 1800)
    assert shipment.weight_source == "manual:scale battery flat"
    event = TrackingEvent.objects.filter(shipment=shipment).latest("pk")
    assert event.kind == "pickup_scan" and event.details["weight_g"] == 2350


@pytest.mark.parametrize(
    "change,code",
    [
        ({"prohibited_items_absent": False}, "pickup_incomplete"),
        ({"measured_weight_g": 0}, "invalid_weight"),
        ({"weight_source": "manual", "manual_reason": ""}, "pickup_incomplete"),
        ({"declared_value_fen": 200_000}, "pickup_incomplete"),  # needs a photo of the contents
    ],
)
def test_pickup_inspection_rules(change, code, station, supervisor, courier) -> None:
    job = make_job(station, supervisor.ctx, "pickup")
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    base = {
        "measured_weight_g": 1000,
        "weight_source": "scale",
        "scale_model": "sim",
        "prohibited_items_absent": True,
    } | change
    with pytest.raises(DomainError) as exc:
        svc.job_complete_pickup(job_id=job.pk, ctx=courier[1].ctx, data=PickupInput(**base))
    assert exc.value.code == code


def test_scans_are_facts_even_out_of_order(station, supervisor, courier) -> None:
    job = make_job(station, supervisor.ctx)
    number = job.shipment.tracking_no
    svc.scan(tracking_no=number, scan_kind="station_in", ctx=supervisor.ctx)
    svc.scan(tracking_no=number, scan_kind="loaded_out", ctx=courier[1].ctx)
    late = svc.scan(tracking_no=number, scan_kind="sorted", ctx=courier[1].ctx)
    again = svc.scan(tracking_no=number, scan_kind="station_in", ctx=courier[1].ctx)  # a late upload
    assert Shipment.objects.get(pk=job.shipment_id).status == ShipmentStatus.AT_STATION
    assert late.details == {}
    # A station_in after loaded_out does move it back (OUT_FOR_DELIVERY → AT_STATION is allowed) …
    assert again.status_after == ShipmentStatus.AT_STATION
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    svc.job_start(job_id=job.pk, ctx=courier[1].ctx)
    svc.job_deliver(
        job_id=job.pk,
        ctx=courier[1].ctx,
        proof=ProofInput(method="photo", recipient_relation="guard", media_sha256=["b" * 64]),
    )
    # … but a scan after delivery is kept as a fact without moving a delivered parcel.
    stale = svc.scan(tracking_no=number, scan_kind="loaded_out", ctx=courier[1].ctx)
    assert stale.details == {"status_unchanged": True, "status_was": "delivered"}
    assert Shipment.objects.get(pk=job.shipment_id).status == ShipmentStatus.DELIVERED


def test_bad_tracking_number_is_refused_before_anything(supervisor) -> None:
    with pytest.raises(DomainError) as exc:
        svc.scan(tracking_no="PR000100000018", scan_kind="station_in", ctx=supervisor.ctx)
    assert exc.value.code == "invalid_tracking_no"


def test_device_clock_far_off_is_kept_and_flagged(station, supervisor) -> None:
    job = make_job(station, supervisor.ctx)
    skewed = Ctx(actor=supervisor.principal, event_at=timezone.now() - timedelta(hours=2))
    event = svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="sorted", ctx=skewed)
    assert event.event_at == skewed.event_at
    assert 7100 < event.details["clock_skew_s"] < 7300


def test_idempotency_key_is_recorded_once(station, supervisor) -> None:
    job = make_job(station, supervisor.ctx)
    ctx = Ctx(actor=supervisor.principal, idempotency_key="op-1")
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="sorted", ctx=ctx)
    with pytest.raises(DomainError) as exc:
        svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="sorted", ctx=ctx)
    assert exc.value.code == "duplicate_operation"
    assert TrackingEvent.objects.filter(idempotency_key="op-1").count() == 1


def test_changes_are_published_only_after_commit(
    station,
    supervisor,
    courier,
    settings,
    django_capture_on_commit_callbacks,
) -> None:
    from asgiref.sync import async_to_sync

    # The in-process layer lets a sync test hold a channel; the Redis layers are covered in realtime tests.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no dispatch follow-up: the one callback is the publish

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(courier_group(courier[0].pk), channel)
    job = make_job(station, supervisor.ctx)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    assert len(callbacks) == 1  # nothing was sent inside the transaction
    callbacks[0]()
    message = async_to_sync(layer.receive)(channel)["message"]
    entry = FeedEntry.objects.get(job=job, kind="job.assigned")
    # A doorbell: the socket reads the row itself from the feed (realtime/tail.py).
    assert message == {"cursor": entry.cursor}
    assert entry.payload["job"]["courier_id"] == courier[0].pk


def test_reassignment_tells_the_previous_courier(station, supervisor, courier, other_courier) -> None:
    job = make_job(station, supervisor.ctx)
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    svc.job_assign(job_id=job.pk, courier_id=other_courier[0].pk, ctx=supervisor.ctx, reason="sick")
    entry = FeedEntry.objects.filter(job=job).latest("cursor")
    assert (entry.courier_id, entry.prev_courier_id) == (other_courier[0].pk, courier[0].pk)
