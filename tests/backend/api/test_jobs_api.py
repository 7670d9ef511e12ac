"""The courier's day, job detail, and the lifecycle actions through HTTP."""

from __future__ import annotations

from datetime import date

import pytest

from backend.couriers.models import Courier, Station
from backend.couriers.selectors import station_today
from backend.shipments.models import DeliveryAttempt, Job, TrackingEvent
from backend.shipments.services import job_assign, scan
from backend.shipments.services.planning import job_set_plan
from tests.backend.api.conftest import Api
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db

SHA = "0f" * 32


def assigned(
    station: Station, supervisor: Person, courier: Courier, kind: str = "delivery", **kw: object
) -> Job:
    job = make_job(station, supervisor.ctx, kind, **kw)
    if kind == "delivery":
        scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    return job_assign(job_id=job.pk, courier_id=courier.pk, ctx=supervisor.ctx)


def test_my_day_defaults_to_today_at_the_station_and_follows_the_plan(
    api: Api,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    c, person = courier
    today = station_today(station)
    first, second, third = (assigned(station, supervisor, c, service_date=today) for _ in range(3))
    for seq, job in ((2, first), (0, second), (1, third)):
        job_set_plan(job_id=job.pk, planned_seq=seq, eta=None, ctx=supervisor.ctx)
    assigned(station, supervisor, c, service_date=date(2031, 1, 2))
    assigned(station, supervisor, other_courier[0], service_date=today)

    r = api.get("/api/v1/me/jobs", person)
    assert r.status_code == 200
    assert r.json()["date"] == today.isoformat()
    assert [j["id"] for j in r.json()["jobs"]] == [second.pk, third.pk, first.pk]
    assert r.json()["jobs"][0]["shipment"]["tracking_no"] == second.shipment.tracking_no

    other_day = api.get("/api/v1/me/jobs", person, date="2031-01-02").json()
    assert (other_day["date"], len(other_day["jobs"])) == ("2031-01-02", 1)


def test_a_bad_date_is_400(api: Api, courier: tuple[Courier, Person]) -> None:
    r = api.get("/api/v1/me/jobs", courier[1], date="2026-02-30")
    assert (r.status_code, r.json()["code"]) == (400, "invalid")
    assert "date" in r.json()["details"]["fields"]


def test_a_delivery_goes_accept_start_arrive_deliver(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    job = assigned(station, supervisor, c)
    url = f"/api/v1/jobs/{job.pk}"
    for action, status in (("accept", "accepted"), ("start", "started"), ("arrive", "arrived")):
        r = api.post(f"{url}/{action}", {}, as_=person)
        assert (r.status_code, r.json()["status"]) == (200, status)
    assert api.get(url, person).json()["shipment"]["status"] == "out_for_delivery"
    proof = {
        "method": "photo",
        "recipient_relation": "family",
        "media_sha256": [SHA],
        "lat": 30.2,
        "lng": 120.1,
    }
    r = api.post(f"{url}/deliver", proof, as_=person)
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["shipment"]["status"]) == ("completed", "delivered")
    event = TrackingEvent.objects.filter(job=job).latest("pk")
    assert (event.kind, event.device_id, event.lat) == ("delivered", f"device-{c.user_id}", 30.2)


def test_a_stale_version_is_409_version_conflict(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    job = assigned(station, supervisor, c)
    r = api.post(f"/api/v1/jobs/{job.pk}/accept", {"version": job.version - 1}, as_=person)
    assert (r.status_code, r.json()["code"]) == (409, "version_conflict")
    assert r.json()["details"]["current_version"] == job.version
    ok = api.post(f"/api/v1/jobs/{job.pk}/accept", {"version": job.version}, as_=person)
    assert (ok.status_code, ok.json()["version"]) == (200, job.version + 1)


def test_a_repeated_idempotency_key_is_409_duplicate_operation(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    job = assigned(station, supervisor, c)
    key = {"Idempotency-Key": "op-7f3a"}
    assert api.post(f"/api/v1/jobs/{job.pk}/accept", {}, as_=person, headers=key).status_code == 200
    again = api.post(f"/api/v1/jobs/{job.pk}/accept", {}, as_=person, headers=key)
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_operation")
    assert TrackingEvent.objects.filter(idempotency_key=f"{person.user.pk}:op-7f3a").count() == 1
    bad = api.post(f"/api/v1/jobs/{job.pk}/start", {}, as_=person, headers={"Idempotency-Key": "no spaces"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid")


def test_one_users_idempotency_key_does_not_block_another_users_action(
    api: Api,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    """Issue 16: keys were global, so courier B's "order-1" refused courier A's action."""
    (mine, me), (theirs, them) = courier, other_courier
    key = {"Idempotency-Key": "order-1"}
    first = assigned(station, supervisor, mine)
    second = assigned(station, supervisor, theirs)
    assert api.post(f"/api/v1/jobs/{first.pk}/accept", {}, as_=me, headers=key).status_code == 200
    assert api.post(f"/api/v1/jobs/{second.pk}/accept", {}, as_=them, headers=key).status_code == 200
    again = api.post(f"/api/v1/jobs/{second.pk}/start", {}, as_=them, headers=key)
    assert (again.status_code, again.json()["details"]) == (409, {"idempotency_key": "order-1"})


def test_a_failed_attempt_records_reason_and_next_step(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    job = assigned(station, supervisor, c)
    api.post(f"/api/v1/jobs/{job.pk}/start", {}, as_=person)
    body = {
        "reason_code": "not_home",
        "note": "no answer",
        "next_step": {
            "kind": "new_window",
            "window_start": "2026-11-25T14:00:00+08:00",
            "window_end": "2026-11-25T16:00:00+08:00",
        },
    }
    r = api.post(f"/api/v1/jobs/{job.pk}/fail", body, as_=person)
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "failed"
    assert r.json()["shipment"]["status"] == "delivery_failed"
    assert r.json()["next_step"]["kind"] == "new_window"
    assert DeliveryAttempt.objects.get(job=job).reason_code == "not_home"


def test_unknown_reason_wrong_kind_and_missing_proof_have_their_codes(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    job = assigned(station, supervisor, c, delivery_code="4321")
    api.post(f"/api/v1/jobs/{job.pk}/start", {}, as_=person)
    r = api.post(f"/api/v1/jobs/{job.pk}/fail", {"reason_code": "aliens"}, as_=person)
    assert (r.status_code, r.json()["code"]) == (400, "unknown_reason_code")
    pickup_body = {
        "measured_weight_g": 900,
        "weight_source": "manual",
        "manual_reason": "scale broken",
        "prohibited_items_absent": True,
    }
    r = api.post(f"/api/v1/jobs/{job.pk}/complete-pickup", pickup_body, as_=person)
    assert (r.status_code, r.json()["code"]) == (409, "wrong_job_kind")
    r = api.post(
        f"/api/v1/jobs/{job.pk}/deliver", {"method": "photo", "recipient_relation": "self"}, as_=person
    )
    assert (r.status_code, r.json()["code"]) == (400, "proof_incomplete")
    r = api.post(
        f"/api/v1/jobs/{job.pk}/deliver",
        {"method": "code", "recipient_relation": "self", "code": "0000"},
        as_=person,
    )
    assert (r.status_code, r.json()["code"]) == (400, "proof_incomplete")
    r = api.post(
        f"/api/v1/jobs/{job.pk}/deliver",
        {"method": "code", "recipient_relation": "self", "code": "4321"},
        as_=person,
    )
    assert (r.status_code, r.json()["shipment"]["status"]) == (200, "delivered")


def test_a_pickup_is_weighed_and_completed(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    job = assigned(station, supervisor, c, kind="pickup")
    api.post(f"/api/v1/jobs/{job.pk}/start", {}, as_=person)
    body = {
        "measured_weight_g": 2350,
        "weight_source": "scale",
        "scale_model": "ACS-30",
        "length_mm": 300,
        "width_mm": 200,
        "height_mm": 150,
        "prohibited_items_absent": True,
        "price_fen": 1800,
        "payment_method": "wechat",
    }
    r = api.post(f"/api/v1/jobs/{job.pk}/complete-pickup", body, as_=person)
    assert r.status_code == 200, r.json()
    shipment = r.json()["shipment"]
    assert (shipment["status"], shipment["measured_weight_g"], shipment["price_fen"]) == (
        "picked_up",
        2350,
        1800,
    )


@pytest.mark.parametrize(
    "body",
    [
        {"version": 2**40},  # past a Postgres integer: refused at the edge, not by the driver
        {"version": "one"},
        {"lat": 91, "lng": 0},
        {"lat": 30.0},
        {"event_at": "1970-01-01T00:00:00Z"},
        {"event_at": "yesterday"},
    ],
)
def test_bad_input_is_400_never_500(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person], body: dict[str, object]
) -> None:
    c, person = courier
    job = assigned(station, supervisor, c)
    r = api.post(f"/api/v1/jobs/{job.pk}/accept", body, as_=person)
    assert r.status_code == 400, r.json()
    assert set(r.json()) == {"code", "message", "details"}
    assert Job.objects.get(pk=job.pk).status == "assigned"


def test_non_json_and_huge_ids_are_4xx(api: Api, courier: tuple[Courier, Person]) -> None:
    person = courier[1]
    r = api.client.post("/api/v1/jobs/1/accept", "{not json", content_type="application/json", **person.auth)
    assert (r.status_code, r.json()["code"]) == (400, "parse_error")
    r = api.post(f"/api/v1/jobs/{2**70}/accept", {}, as_=person)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = api.get("/api/v1/jobs/-3", person)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


def test_a_courier_cannot_touch_another_couriers_job(
    api: Api,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    job = assigned(station, supervisor, other_courier[0])
    for url in (f"/api/v1/jobs/{job.pk}", f"/api/v1/jobs/{job.pk}/accept"):
        r = api.get(url, courier[1]) if url.endswith(str(job.pk)) else api.post(url, {}, as_=courier[1])
        assert (r.status_code, r.json()["code"]) == (404, "not_found")
    assert Job.objects.get(pk=job.pk).status == "assigned"
