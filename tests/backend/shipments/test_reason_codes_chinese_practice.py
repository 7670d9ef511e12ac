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
