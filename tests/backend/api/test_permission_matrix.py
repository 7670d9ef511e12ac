"""Every endpoint × every kind of caller, with the exact status (and code) each one gets.

Columns (see ``matrix.ROLES``): anonymous, courier_own (the job's courier), courier_other (another
courier of the same station), supervisor_own, supervisor_other (another station), admin; the station
managers manager_own (of the station, and of another) and manager_other (of another station only) are
expected to get what the supervisor of the same side gets (``Row.expected``), since a manager is a
supervisor at each station they run.
Objects outside a caller's scope are 404 (their existence is not revealed); a role that may never
do something is 403 wrong_role; another station's desk is 403 permission_denied.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

import tests.backend
from backend.accounts.models import ApiToken
from tests.backend.api.conftest import Api
from tests.backend.api.matrix import ROLES, Row, World, build_world

SHA = "ab" * 32
NEW_SHIPMENT = {
    "kind": "delivery",
    "sender_name": "张三",
    "sender_phone": "13812345678",
    "sender_address": "杭州市文三路1号",
    "recipient_name": "李四",
    "recipient_phone": "13912345678",
    "recipient_address": "杭州市教工路2号",
}
PICKUP_DONE = {
    "measured_weight_g": 1200,
    "weight_source": "scale",
    "scale_model": "ACS-30",
    "prohibited_items_absent": True,
}


def _offline_conflict(w: World) -> int:
    """A delivery held for a supervisor (as the sync conflict rules leave one)."""
    from django.utils import timezone

    from backend.shipments.models import OfflineConflict

    now = timezone.now()
    held = OfflineConflict.objects.create(
        job=w.delivery,
        station=w.station,
        courier=w.courier,
        kind="deliver",
        op_id=f"matrix-{w.delivery.pk}",
        recorded_at=now,
        judged_at=now,
        received_at=now,
        fact={"method": "signature", "recipient_relation": "self", "recipient_name": "李四"},
    )
    return int(held.pk)


def _job(w: World) -> str:
    return f"/api/v1/jobs/{w.delivery.pk}"


MATRIX: dict[str, Row] = {
    # accounts                                   anon courier_own courier_other sup_own sup_other admin
    "auth-login": Row(
        "post",
        lambda w: "/api/v1/auth/login",
        "200 200 200 200 200 200",
        body=lambda w: {"login": w.courier.employee_no, "password": "courier-pass-1", "device_id": "matrix"},
    ),
    "auth-logout": Row("post", lambda w: "/api/v1/auth/logout", "401 204 204 204 204 204"),
    "auth-me": Row("get", lambda w: "/api/v1/auth/me", "401 200 200 200 200 200"),
    "auth-tokens": Row("get", lambda w: "/api/v1/auth/tokens", "401 200 200 200 200 200"),
    "auth-token-revoke": Row(
        "post",
        lambda w: f"/api/v1/auth/tokens/{ApiToken.objects.get(user=w.courier.user).pk}/revoke",
        "401 200 404 200 404 200",
    ),
    # couriers
    "courier-revoke-tokens": Row(
        "post",
        lambda w: f"/api/v1/couriers/{w.courier.pk}/revoke-tokens",
        "401 403w 403w 200 404 200",
        body=lambda w: {"reason": "lost"},
    ),
    "courier-unlock-login": Row(
        "post",
        lambda w: f"/api/v1/couriers/{w.courier.pk}/unlock-login",
        "401 403w 403w 204 404 204",
        body=lambda w: {"reason": "verified in person"},
    ),
    "station-couriers": Row(
        "get", lambda w: f"/api/v1/stations/{w.station.code}/couriers", "401 403w 403w 200 403p 200"
    ),
    # courier's day and job actions
    "me-jobs": Row("get", lambda w: "/api/v1/me/jobs", "401 200 200 403w 403w 403w"),
    "job-detail": Row("get", _job, "401 200 404 200 404 200"),
    "job-accept": Row("post", lambda w: _job(w) + "/accept", "401 200 404 200 404 200"),
    "job-start": Row("post", lambda w: _job(w) + "/start", "401 200 404 200 404 200"),
    "job-arrive": Row(
        "post", lambda w: _job(w) + "/arrive", "401 200 404 200 404 200", setup=lambda w: w.start(w.delivery)
    ),
    "job-complete-pickup": Row(
        "post",
        lambda w: f"/api/v1/jobs/{w.pickup.pk}/complete-pickup",
        "401 200 404 200 404 200",
        body=lambda w: PICKUP_DONE,
        setup=lambda w: w.start(w.pickup),
    ),
    "job-deliver": Row(
        "post",
        lambda w: _job(w) + "/deliver",
        "401 200 404 200 404 200",
        body=lambda w: {"method": "photo", "recipient_relation": "self", "media_sha256": [SHA]},
        setup=lambda w: w.start(w.delivery),
    ),
    "job-fail": Row(
        "post",
        lambda w: _job(w) + "/fail",
        "401 200 404 200 404 200",
        body=lambda w: {"reason_code": "not_home", "next_step": {"kind": "retry"}},
        setup=lambda w: w.start(w.delivery),
    ),
    # a virtual number to call the job's customer: the job's courier only (docs/api.md, "Calling")
    "job-call": Row("post", lambda w: _job(w) + "/call", "401 200 404 403w 403w 403w"),
    # supervisor's desk
    "station-jobs": Row(
        "get", lambda w: f"/api/v1/stations/{w.station.code}/jobs", "401 403w 403w 200 403p 200"
    ),
    "job-assign": Row(
        "post",
        lambda w: _job(w) + "/assign",
        "401 403w 403w 200 404 200",
        body=lambda w: {"courier_id": w.other_courier.pk, "reason": "rebalance"},
    ),
    "job-unassign": Row("post", lambda w: _job(w) + "/unassign", "401 403w 403w 200 404 200"),
    "station-offline-conflicts": Row(
        "get", lambda w: f"/api/v1/stations/{w.station.code}/offline-conflicts", "401 403w 403w 200 403p 200"
    ),
    "station-forecast": Row(
        "get", lambda w: f"/api/v1/stations/{w.station.code}/forecast", "401 403w 403w 200 403p 200"
    ),
    "offline-conflict-resolve": Row(
        "post",
        lambda w: f"/api/v1/offline-conflicts/{w.extra['conflict']}/resolve",
        "401 403w 403w 200 404 200",
        body=lambda w: {"accept": False, "reason": "recipient denies it"},
        setup=lambda w: w.extra.update(conflict=_offline_conflict(w)),
    ),
    "job-cancel": Row(
        "post",
        lambda w: _job(w) + "/cancel",
        "401 403w 403w 200 404 200",
        body=lambda w: {"reason": "sender called"},
    ),
    "shipment-detail": Row(
        "get", lambda w: f"/api/v1/shipments/{w.delivery.shipment.tracking_no}", "401 200 404 200 404 200"
    ),
    "shipment-transition": Row(
        "post",
        lambda w: f"/api/v1/shipments/{w.delivery.shipment.tracking_no}/transition",
        "401 403w 403w 200 404 200",
        body=lambda w: {"to": "held", "reason": "customer"},
    ),
    # any courier of the station may scan its parcels (sorting, loading), not another station's staff
    "scans": Row(
        "post",
        lambda w: "/api/v1/scans",
        "401 201 201 201 403p 201",
        body=lambda w: {"tracking_no": w.delivery.shipment.tracking_no, "kind": "sorted"},
    ),
    # intake
    "station-shipments": Row(
        "post",
        lambda w: f"/api/v1/stations/{w.station.code}/shipments",
        "401 403w 403w 201 403p 201",
        body=lambda w: NEW_SHIPMENT,
    ),
    "station-shipments-bulk": Row(
        "post",
        lambda w: f"/api/v1/stations/{w.station.code}/shipments/bulk",
        "401 403w 403w 201 403p 201",
        body=lambda w: {"rows": [NEW_SHIPMENT]},
    ),
    # public and reference
    "track-public": Row(
        "get", lambda w: f"/api/v1/track/{w.delivery.shipment.tracking_no}", "200 200 200 200 200 200"
    ),
    "reason-codes": Row("get", lambda w: "/api/v1/reason-codes", "401 200 200 200 200 200"),
}

# Routes other teams own until they register rows (see matrix.py for how).
EXEMPT_PREFIXES = ("sync-", "locations-")


def registered_rows() -> dict[str, Row]:
    """MATRIX plus every ``tests/backend/<app>/api_matrix.py`` ROWS table."""
    rows = dict(MATRIX)
    for info in pkgutil.iter_modules(tests.backend.__path__):
        if not info.ispkg:
            continue
        try:
            module = importlib.import_module(f"tests.backend.{info.name}.api_matrix")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.backend.{info.name}.api_matrix":
                raise
            continue
        clash = set(rows) & set(module.ROWS)
        assert not clash, f"matrix rows registered twice: {sorted(clash)}"
        rows.update(module.ROWS)
    return rows


def api_v1_routes() -> Iterator[tuple[str, str | None]]:
    """(route, name) of every URL pattern under api/v1/, found by walking the real URLconf."""

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> Iterator[tuple[str, str | None]]:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, route)
            elif route.startswith("api/v1/"):
                yield route, p.name

    yield from walk(get_resolver().url_patterns, "")


ROWS = registered_rows()


def test_every_api_route_has_a_matrix_row() -> None:
    routes = list(api_v1_routes())
    unnamed = [route for route, name in routes if not name]
    assert not unnamed, f"name these routes so the matrix can refer to them: {unnamed}"
    missing = sorted(
        f"{name} ({route})"
        for route, name in routes
        if name not in ROWS and not name.startswith(EXEMPT_PREFIXES)  # type: ignore[union-attr]
    )
    assert not missing, f"routes without a permission-matrix row: {missing}"
    stale = sorted(set(MATRIX) - {name for _, name in routes})
    assert not stale, f"matrix rows for routes that no longer exist: {stale}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ROWS))
def test_matrix(name: str, role: str, api: Api) -> None:
    row = ROWS[name]
    world = build_world()
    row.setup(world)
    url = row.url(world)
    caller = world.caller(role)
    response = api.get(url, caller) if row.method == "get" else api.post(url, row.body(world), as_=caller)
    status, code = row.expected(role)
    is_json = response.get("Content-Type", "").startswith("application/json")
    body = response.json() if response.content and is_json else response.get("Content-Type")
    assert response.status_code == status, (url, body)
    if code is not None:
        assert body["code"] == code, body
    if status >= 400:
        assert set(body) == {"code", "message", "details"}
