"""Public tracking: anyone with the number sees where the parcel is, and nothing private."""

from __future__ import annotations

import json

import pytest

from backend.couriers.models import Courier, Station
from backend.shipments.services import job_accept, job_assign, job_start, scan
from parcelkit.rules.tracking import make_tracking_no
from tests.backend.api.conftest import Api
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def test_the_public_view_is_masked_and_shows_only_public_events(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    job = make_job(
        station,
        supervisor.ctx,
        recipient_name="张三丰",
        recipient_phone="13812345678",
        recipient_address="杭州市西湖区教工路88号3幢501",
    )
    scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    scan(tracking_no=job.shipment.tracking_no, scan_kind="sorted", ctx=supervisor.ctx)
    job_assign(job_id=job.pk, courier_id=c.pk, ctx=supervisor.ctx)
    job_accept(job_id=job.pk, ctx=person.ctx)
    job_start(job_id=job.pk, ctx=person.ctx)

    r = api.get(f"/api/v1/track/{job.shipment.tracking_no}")
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["status_label"]) == ("out_for_delivery", "Out for delivery")
    assert (body["recipient_name"], body["recipient_phone"]) == ("张**", "138****5678")
    assert [e["kind"] for e in body["events"]] == ["created", "station_in", "job_started"]
    assert body["events"][2]["label"] == "Courier on the way"
    assert set(body["events"][0]) == {"kind", "label", "at"}
    text = json.dumps(body, ensure_ascii=False)
    for secret in ("教工路", "13812345678", "+8613812345678", c.employee_no, person.ctx.device_id, "30.29"):
        assert secret not in text


def test_a_bad_check_digit_is_400_and_an_unknown_number_404(api: Api, db: None) -> None:
    r = api.get("/api/v1/track/PR000000000011")
    assert (r.status_code, r.json()["code"]) == (400, "invalid_tracking_no")
    r = api.get(f"/api/v1/track/{make_tracking_no(98765)}")
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


def test_tracking_needs_no_login_and_ignores_a_stale_token(
    api: Api, station: Station, supervisor: Person
) -> None:
    job = make_job(station, supervisor.ctx)
    r = api.client.get(
        f"/api/v1/track/{job.shipment.tracking_no}", HTTP_AUTHORIZATION="Token revoked-long-ago"
    )
    assert r.status_code == 200
    spaced = job.shipment.tracking_no[:6] + "-" + job.shipment.tracking_no[6:]
    assert api.get(f"/api/v1/track/{spaced.lower()}").json()["tracking_no"] == job.shipment.tracking_no
