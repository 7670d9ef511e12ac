"""Public tracking: anyone with the number sees where the parcel is, and nothing private."""

from __future__ import annotations

import json
from typing import Any

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

    r = api.get(f"/api/v1/track/{job.shipment.tracking_no}", phone_last4="5678")
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["status_label"]) == ("out_for_delivery", "Out for delivery")
    # GB/T 2023 waybill privacy: at least six digits hidden where anyone can read them.
    assert (body["recipient_name"], body["recipient_phone"]) == ("张**", "*******5678")
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


def test_without_the_phones_last_four_only_the_status_is_shown(
    api: Api, station: Station, supervisor: Person
) -> None:
    """Issue 16: walking serials around one number gave name, phone digits and timeline of each."""
    job = make_job(station, supervisor.ctx, recipient_name="张三丰", recipient_phone="13812345678")
    body = api.get(f"/api/v1/track/{job.shipment.tracking_no}").json()
    assert body == {"tracking_no": job.shipment.tracking_no, "status": "created", "status_label": "Created"}


def test_wrong_digits_are_refused_and_counted_until_the_number_answers_429(
    api: Api, station: Station, supervisor: Person, settings: Any
) -> None:
    settings.PARCELRUN_TRACK_MAX_MISSES = 3
    job = make_job(station, supervisor.ctx, recipient_phone="13812345678")
    url = f"/api/v1/track/{job.shipment.tracking_no}"
    for guess in ("0000", "567", "abcd"):
        r = api.get(url, phone_last4=guess)
        assert (r.status_code, r.json()["code"]) == (403, "phone_mismatch")
    r = api.get(url, phone_last4="5678")  # even the right digits: this number is closed for a while
    assert (r.status_code, r.json()["code"]) == (429, "too_many_attempts")
    assert int(r["Retry-After"]) > 0
    assert "recipient_name" not in r.json()


def test_tracking_is_throttled_per_client_address(
    api: Api, station: Station, supervisor: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "track": "3/min"}
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)  # DRF reads the rates at import
    job = make_job(station, supervisor.ctx)
    answers = [api.get(f"/api/v1/track/{job.shipment.tracking_no}") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["code"] == "throttled"


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(
    api: Api, station: Station, supervisor: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DRF trusts X-Forwarded-For unless NUM_PROXIES says how many proxies there are: a client
    # sending a new made-up address each time would never be throttled. The address is the
    # connection's (daphne --proxy-headers sets it behind the station's nginx).
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "track": "3/min"}
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    job = make_job(station, supervisor.ctx)
    answers = [
        api.client.get(f"/api/v1/track/{job.shipment.tracking_no}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}")
        for i in range(4)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
