"""Logging in, logging out, and revoking per-device tokens (a lost handheld)."""

from __future__ import annotations

from typing import Any

import pytest

from backend.accounts.models import ApiToken
from backend.couriers.models import Courier, Station
from tests.backend.api.conftest import Api
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"


def login(api: Api, who: str, password: str, device: str = "phone-1") -> Any:
    return api.post(LOGIN, {"login": who, "password": password, "device_id": device})


def as_token(key: str) -> Person:
    """A Person-like caller holding a raw token (only .auth is used by the client)."""
    return type("Caller", (), {"auth": {"HTTP_AUTHORIZATION": f"Token {key}"}})()


def test_a_courier_logs_in_with_their_employee_number(
    api: Api, courier: tuple[Courier, Person], station: Station
) -> None:
    c, _ = courier
    r = login(api, c.employee_no, "courier-pass-1")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["role"] == "courier"
    assert body["courier"]["employee_no"] == c.employee_no
    assert body["station"]["code"] == station.code
    me = api.get("/api/v1/auth/me", as_token(body["token"]))
    assert me.status_code == 200
    assert me.json()["courier"]["id"] == c.pk


def test_a_supervisor_and_an_admin_log_in_with_their_username(
    api: Api, supervisor: Person, admin: Person, station: Station
) -> None:
    sup = login(api, supervisor.user.username, "super-pass-1").json()
    assert (sup["role"], sup["station"]["code"], sup["courier"]) == ("supervisor", station.code, None)
    adm = login(api, admin.user.username, "admin-pass-1").json()
    assert (adm["role"], adm["station"], adm["courier"]) == ("admin", None, None)


def test_a_wrong_password_is_401_authentication_failed(api: Api, courier: tuple[Courier, Person]) -> None:
    r = login(api, courier[0].employee_no, "nope-nope-nope")
    assert r.status_code == 401
    assert r.json()["code"] == "authentication_failed"
    assert set(r.json()) == {"code", "message", "details"}


def test_logging_in_again_on_the_same_device_replaces_its_token(
    api: Api, courier: tuple[Courier, Person]
) -> None:
    c, _ = courier
    first = login(api, c.employee_no, "courier-pass-1", "phone-1").json()["token"]
    other_device = login(api, c.employee_no, "courier-pass-1", "tablet-9").json()["token"]
    second = login(api, c.employee_no, "courier-pass-1", "phone-1").json()["token"]
    assert api.get("/api/v1/auth/me", as_token(first)).status_code == 401
    assert api.get("/api/v1/auth/me", as_token(second)).status_code == 200
    assert api.get("/api/v1/auth/me", as_token(other_device)).status_code == 200


def test_logout_revokes_the_token_used(api: Api, courier: tuple[Courier, Person]) -> None:
    _, person = courier
    assert api.post("/api/v1/auth/logout", as_=person).status_code == 204
    r = api.get("/api/v1/auth/me", person)
    assert r.status_code == 401
    assert r.json()["code"] in ("token_revoked", "authentication_failed")


def test_the_token_list_shows_only_my_live_tokens(
    api: Api, courier: tuple[Courier, Person], other_courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    login(api, c.employee_no, "courier-pass-1", "phone-2")
    r = api.get("/api/v1/auth/tokens", person)
    assert r.status_code == 200
    assert sorted(t["device_id"] for t in r.json()) == sorted([f"device-{c.user_id}", "phone-2"])
    assert {"id", "prefix", "device_id", "created_at", "last_used_at"} <= set(r.json()[0])


def test_a_courier_revokes_their_own_token_but_not_another_couriers(
    api: Api, courier: tuple[Courier, Person], other_courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    spare = login(api, c.employee_no, "courier-pass-1", "old-phone").json()["token"]
    spare_id = ApiToken.objects.get(user=c.user, device_id="old-phone").pk
    r = api.post(f"/api/v1/auth/tokens/{spare_id}/revoke", {"reason": "old phone"}, as_=person)
    assert r.status_code == 200
    assert r.json()["revoked_at"] is not None
    assert api.get("/api/v1/auth/me", as_token(spare)).status_code == 401
    theirs = ApiToken.objects.filter(user=other_courier[0].user).get().pk
    r = api.post(f"/api/v1/auth/tokens/{theirs}/revoke", as_=person)
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_a_supervisor_cuts_off_a_lost_handheld(
    api: Api, courier: tuple[Courier, Person], supervisor: Person
) -> None:
    c, person = courier
    assert api.get("/api/v1/auth/me", person).status_code == 200
    r = api.post(f"/api/v1/couriers/{c.pk}/revoke-tokens", {"reason": "handheld lost"}, as_=supervisor)
    assert r.status_code == 200
    assert r.json() == {"courier_id": c.pk, "revoked": 1}
    after = api.get("/api/v1/jobs/1", person)
    assert after.status_code == 401
    assert after.json()["code"] in ("token_revoked", "authentication_failed")
    assert ApiToken.objects.get(user=c.user).revoked_reason == "handheld lost"


def test_revoking_one_device_leaves_the_others(
    api: Api, courier: tuple[Courier, Person], supervisor: Person
) -> None:
    c, person = courier
    spare = login(api, c.employee_no, "courier-pass-1", "spare").json()["token"]
    body = {"reason": "spare stolen", "device_id": "spare"}
    assert api.post(f"/api/v1/couriers/{c.pk}/revoke-tokens", body, as_=supervisor).json()["revoked"] == 1
    assert api.get("/api/v1/auth/me", as_token(spare)).status_code == 401
    assert api.get("/api/v1/auth/me", person).status_code == 200


def test_a_supervisor_revokes_one_courier_token_of_their_station_only(
    api: Api, courier: tuple[Courier, Person], supervisor: Person, other_supervisor: Person
) -> None:
    c, person = courier
    token_id = ApiToken.objects.get(user=c.user).pk
    url = f"/api/v1/auth/tokens/{token_id}/revoke"
    assert api.post(url, as_=other_supervisor).status_code == 404
    assert api.get("/api/v1/auth/me", person).status_code == 200
    assert api.post(url, as_=supervisor).status_code == 200
    assert api.get("/api/v1/auth/me", person).status_code == 401


def test_revoke_tokens_is_refused_to_couriers_and_other_stations(
    api: Api, courier: tuple[Courier, Person], other_courier: tuple[Courier, Person], other_supervisor: Person
) -> None:
    c, _ = courier
    r = api.post(f"/api/v1/couriers/{c.pk}/revoke-tokens", {"reason": "x"}, as_=other_courier[1])
    assert (r.status_code, r.json()["code"]) == (403, "wrong_role")
    r = api.post(f"/api/v1/couriers/{c.pk}/revoke-tokens", {"reason": "x"}, as_=other_supervisor)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")


def test_the_staff_tick_does_not_make_a_supervisor_an_api_admin(
    api: Api, supervisor: Person, other_station: Station
) -> None:
    # "Staff status" opens the Django admin site; it used to make the supervisor an admin of every station.
    supervisor.user.is_staff = True
    supervisor.user.save(update_fields=["is_staff"])
    from backend.accounts.roles import Role, principal_of

    assert principal_of(supervisor.user).role is Role.SUPERVISOR
    r = api.get(f"/api/v1/stations/{other_station.code}/jobs", as_=supervisor)
    assert r.status_code in (403, 404), r.json()
