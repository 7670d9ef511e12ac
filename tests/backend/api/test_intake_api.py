"""Taking shipments in over HTTP: one at a time, and a merchant manifest that is all or nothing."""

from __future__ import annotations

from typing import Any

import pytest

from backend.couriers.models import Courier, Station
from backend.shipments.models import Job, Shipment
from parcelkit.rules.tracking import make_tracking_no
from tests.backend.api.conftest import Api
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def row(**overrides: Any) -> dict[str, Any]:
    data = {
        "kind": "delivery",
        "sender_name": "张三",
        "sender_phone": "138 1234 5678",
        "sender_address": "杭州市文三路1号",
        "recipient_name": "李四",
        "recipient_phone": "13912345678",
        "recipient_address": "杭州市教工路2号",
        "service_date": "2026-11-24",
        "handling": ["fragile"],
        "cod_amount_fen": 2500,
    }
    data.update(overrides)
    return data


def test_one_shipment_is_taken_in_with_its_first_job(api: Api, station: Station, supervisor: Person) -> None:
    tn = make_tracking_no(424242)
    r = api.post(f"/api/v1/stations/{station.code}/shipments", row(tracking_no=tn), as_=supervisor)
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["kind"], body["status"], body["courier_id"]) == ("delivery", "pending", None)
    assert body["shipment"]["tracking_no"] == tn
    shipment = Shipment.objects.get(tracking_no=tn)
    assert (shipment.sender_phone, shipment.station_id, shipment.handling) == (
        "+8613812345678",
        station.pk,
        ["fragile"],
    )
    again = api.post(f"/api/v1/stations/{station.code}/shipments", row(tracking_no=tn), as_=supervisor)
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_tracking_no")


def test_a_number_is_issued_when_none_is_given(api: Api, station: Station, admin: Person) -> None:
    r = api.post(f"/api/v1/stations/{station.code}/shipments", row(kind="pickup"), as_=admin)
    assert r.status_code == 201
    assert r.json()["shipment"]["tracking_no"].startswith("PR")
    assert r.json()["address"] == "杭州市文三路1号"  # a pickup goes to the sender


@pytest.mark.parametrize(
    "overrides,code",
    [
        ({"recipient_phone": "12"}, "invalid_phone"),
        ({"tracking_no": "PR000000000011"}, "invalid_tracking_no"),
        ({"cod_amount_fen": 2**64}, "invalid"),
        ({"declared_weight_g": 2**31}, "invalid"),
        ({"pieces": 0}, "invalid"),
        ({"handling": ["explosive"]}, "invalid"),
        ({"sender_lat": 30.1}, "invalid_coordinates"),
        (
            {"window_start": "2026-11-24T12:00:00+08:00", "window_end": "2026-11-24T10:00:00+08:00"},
            "invalid_time_window",
        ),
        ({"sender_name": "   "}, "invalid"),
        ({"sender_name": "a\x00b"}, "invalid"),
    ],
)
def test_bad_rows_are_refused_with_their_code(
    api: Api, station: Station, supervisor: Person, overrides: dict[str, Any], code: str
) -> None:
    r = api.post(f"/api/v1/stations/{station.code}/shipments", row(**overrides), as_=supervisor)
    assert (r.status_code, r.json()["code"]) == (400, code), r.json()
    assert not Shipment.objects.exists()


def test_a_manifest_is_created_whole(api: Api, station: Station, supervisor: Person) -> None:
    rows = [row(), row(kind="pickup"), row(tracking_no=make_tracking_no(777))]
    r = api.post(f"/api/v1/stations/{station.code}/shipments/bulk", {"rows": rows}, as_=supervisor)
    assert r.status_code == 201, r.json()
    assert r.json()["created"] == 3
    assert Job.objects.filter(station=station).count() == 3


def test_a_manifest_with_bad_rows_creates_nothing_and_names_each_bad_row(
    api: Api, station: Station, supervisor: Person
) -> None:
    taken = make_tracking_no(555)
    api.post(f"/api/v1/stations/{station.code}/shipments", row(tracking_no=taken), as_=supervisor)
    rows = [row(), row(recipient_phone="nope"), row(pieces="many"), row(tracking_no=taken), row()]
    r = api.post(f"/api/v1/stations/{station.code}/shipments/bulk", {"rows": rows}, as_=supervisor)
    assert (r.status_code, r.json()["code"]) == (400, "invalid")
    assert set(r.json()["details"]["rows"]) == {"2"}  # shape errors are reported first
    assert "pieces" in r.json()["details"]["rows"]["2"]["fields"]

    rows[2] = row()
    r = api.post(f"/api/v1/stations/{station.code}/shipments/bulk", {"rows": rows}, as_=supervisor)
    assert (r.status_code, r.json()["code"]) == (400, "manifest_refused")
    errors = r.json()["details"]["rows"]
    assert {k: v["code"] for k, v in errors.items()} == {"1": "invalid_phone", "3": "duplicate_tracking_no"}
    assert Shipment.objects.count() == 1  # only the one taken in before


def test_an_empty_or_oversized_manifest_is_refused(api: Api, station: Station, supervisor: Person) -> None:
    url = f"/api/v1/stations/{station.code}/shipments/bulk"
    assert api.post(url, {"rows": []}, as_=supervisor).status_code == 400
    assert api.post(url, {"rows": [row()] * 2001}, as_=supervisor).status_code == 400
    assert api.post(url, {"rows": "all of them"}, as_=supervisor).status_code == 400


def test_intake_is_for_the_stations_staff(
    api: Api, station: Station, courier: tuple[Courier, Person], other_supervisor: Person
) -> None:
    url = f"/api/v1/stations/{station.code}/shipments"
    r = api.post(url, row(), as_=courier[1])
    assert (r.status_code, r.json()["code"]) == (403, "wrong_role")
    r = api.post(url, row(), as_=other_supervisor)
    assert (r.status_code, r.json()["code"]) == (403, "permission_denied")
    r = api.post("/api/v1/stations/NOPE/shipments", row(), as_=other_supervisor)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


def test_a_retried_intake_with_the_same_key_creates_one_shipment(
    api: Api, station: Station, supervisor: Person
) -> None:
    url = f"/api/v1/stations/{station.code}/shipments"
    key = {"Idempotency-Key": "intake-1"}
    assert api.post(url, row(), as_=supervisor, headers=key).status_code == 201
    again = api.post(url, row(), as_=supervisor, headers=key)
    assert (again.status_code, again.json()["code"]) == (409, "duplicate_operation")
    assert Shipment.objects.count() == 1
    # A manifest records one event per row, so a key cannot name it: it is ignored there.
    bulk = api.post(
        f"{url}/bulk", {"rows": [row(), row()]}, as_=supervisor, headers={"Idempotency-Key": "m-1"}
    )
    assert (bulk.status_code, Shipment.objects.count()) == (201, 3)


def test_the_servers_next_number_cannot_be_taken_by_another_station(
    api: Api, station: Station, supervisor: Person, other_station: Station, other_supervisor: Person
) -> None:
    # Station B's supervisor tries the number the server would issue next: refused, so station A's
    # auto-numbered intake keeps working (it answered 500 on every retry when B could take it).
    from backend.shipments.numbering import issued_up_to

    b_station, b_supervisor = other_station, other_supervisor
    api.post(f"/api/v1/stations/{station.code}/shipments", row(), as_=supervisor)
    squat = make_tracking_no(issued_up_to() + 1)
    r = api.post(f"/api/v1/stations/{b_station.code}/shipments", row(tracking_no=squat), as_=b_supervisor)
    assert (r.status_code, r.json()["code"]) == (409, "tracking_no_reserved")
    r = api.post(f"/api/v1/stations/{station.code}/shipments", row(), as_=supervisor)
    assert r.status_code == 201, r.json()


def test_server_numbering_skips_a_number_a_client_already_holds(
    api: Api, station: Station, supervisor: Person
) -> None:
    # A number taken before the rule existed (or imported) is skipped, never issued twice.
    from backend.shipments.numbering import issued_up_to

    api.post(f"/api/v1/stations/{station.code}/shipments", row(), as_=supervisor)
    held = make_tracking_no(issued_up_to() + 1)
    Shipment.objects.filter(pk=Shipment.objects.get().pk).update(tracking_no=held)
    r = api.post(f"/api/v1/stations/{station.code}/shipments", row(), as_=supervisor)
    assert r.status_code == 201, r.json()
    assert r.json()["shipment"]["tracking_no"] == make_tracking_no(issued_up_to())
    assert r.json()["shipment"]["tracking_no"] != held
