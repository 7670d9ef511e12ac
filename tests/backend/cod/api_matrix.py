"""Permission-matrix rows for the COD routes (found by tests/backend/api/test_permission_matrix.py)."""

from __future__ import annotations

from backend.cod.services import handover_confirm
from backend.shipments.models import Collection
from tests.backend.api.matrix import Row, World
from tests.backend.cod.conftest import deliver_cash


def _variance(w: World) -> None:
    h = handover_confirm(
        courier_id=w.courier.pk, ctx=w.supervisor.ctx, expected_fen=0, received_fen=500, reason="多收"
    )
    w.extra["variance"] = h.variance.pk


def _collected(w: World) -> None:
    job = deliver_cash(w.station, w.supervisor.ctx, w.courier, w.courier_person.ctx, 2000)
    w.extra["collection"] = Collection.objects.get(job=job).pk


def _report(w: World, suffix: str = "") -> str:
    return f"/api/v1/cod/report{suffix}?station={w.station.code}&date=2026-11-24"


ROWS: dict[str, Row] = {
    # a courier reads their own cash (courier_id is ignored for them); staff name one of their station's
    "cod-holding": Row(
        "get", lambda w: f"/api/v1/cod/holding?courier_id={w.courier.pk}", "401 200 200 200 404 200"
    ),
    "cod-declarations": Row(
        "post",
        lambda w: "/api/v1/cod/declarations",
        "401 201 201 403w 403w 403w",
        body=lambda w: {"declared_fen": 0},
    ),
    "cod-handovers": Row(
        "post",
        lambda w: "/api/v1/cod/handovers",
        "401 403w 403w 201 404 201",
        body=lambda w: {"courier_id": w.courier.pk, "expected_fen": 0, "received_fen": 100, "reason": "多收"},
    ),
    "cod-variance-sign": Row(
        "post",
        lambda w: f"/api/v1/cod/variances/{w.extra['variance']}/sign",
        "401 200 404 403w 403w 403w",
        body=lambda w: {},
        setup=_variance,
    ),
    "cod-collection-corrections": Row(
        "post",
        lambda w: f"/api/v1/cod/collections/{w.extra['collection']}/corrections",
        "401 403w 403w 201 404 201",
        body=lambda w: {"amount_fen": -100, "method": "cash", "reason": "收错"},
        setup=_collected,
    ),
    "cod-shift-close": Row(
        "post",
        lambda w: "/api/v1/cod/shift-close",
        "401 201 201 201 404 201",
        body=lambda w: {"courier_id": w.courier.pk},
    ),
    "cod-report": Row("get", lambda w: _report(w), "401 403w 403w 200 403p 200"),
    "cod-report-csv": Row("get", lambda w: _report(w, ".csv"), "401 403w 403w 200 403p 200"),
}
