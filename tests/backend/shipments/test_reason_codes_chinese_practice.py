"""The failure reasons couriers use in China are server reason codes, for deliveries and pickups."""

from __future__ import annotations

import pytest

from backend.shipments import services as svc
from backend.shipments.models import DeliveryAttempt
from backend.shipments.states import ReasonCode
from tests.fixtures.jobs import make_job

pytestmark = pytest.mark.django_db


def test_the_new_codes_are_listed_with_the_handhelds_reference() -> None:
    from mobile.flows.failed_attempt import REASON_LABELS

    assert {
        "no_answer",
        "no_such_person",
        "out_of_area",
        "self_collect",
        "freight_refused",
        "contents_short",
        "prohibited_items",
        "no_real_name",
    } <= set(ReasonCode.values)
    assert set(REASON_LABELS) == set(ReasonCode.values)  # the handheld labels every server code


@pytest.mark.parametrize(("kind", "code"), [("delivery", "no_such_person"), ("pickup", "no_real_name")])
def test_a_failed_attempt_with_a_new_code_is_recorded(
    station, supervisor, courier, kind: str, code: str
) -> None:
    job = make_job(station, supervisor.ctx, kind)
    if kind == "delivery":  # a parcel goes out for delivery from the station
        svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    svc.job_start(job_id=job.pk, ctx=courier[1].ctx)
    svc.job_fail(job_id=job.pk, ctx=courier[1].ctx, reason_code=code, next_step={"kind": "retry"})
    assert DeliveryAttempt.objects.get(job=job).reason_code == code


def test_the_senders_real_name_check_is_recorded_never_the_whole_number(station, supervisor, courier) -> None:
    from backend.common.errors import DomainError
    from backend.shipments.models import Shipment
    from backend.shipments.services.door_inputs import PickupInput

    job = make_job(station, supervisor.ctx, "pickup")
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    svc.job_start(job_id=job.pk, ctx=courier[1].ctx)
    base = {"measured_weight_g": 1200, "weight_source": "manual", "manual_reason": "秤坏了"}
    base |= {"prohibited_items_absent": True, "payment_method": "cash"}
    with pytest.raises(DomainError) as exc:  # given, it is checked whole
        svc.job_complete_pickup(
            job_id=job.pk, ctx=courier[1].ctx, data=PickupInput(**base, sender_id_type="resident_id")
        )
    assert exc.value.code == "pickup_incomplete"
    data = PickupInput(**base, sender_id_type="passport", sender_id_last4="e12x", sender_real_name=" 王芳 ")
    svc.job_complete_pickup(job_id=job.pk, ctx=courier[1].ctx, data=data)
    shipment = Shipment.objects.get(pk=job.shipment_id)
    assert (shipment.sender_id_type, shipment.sender_id_last4, shipment.sender_real_name) == (
        "passport",
        "E12X",
        "王芳",
    )
