"""Permission-matrix rows for the dispatch routes (found by tests/backend/api/test_permission_matrix.py)."""

from __future__ import annotations

from backend.couriers.selectors import station_today
from backend.shipments.models import Job
from tests.backend.api.matrix import Row, World
from tests.fixtures.jobs import make_job


def _pending(w: World) -> None:
    w.extra["pending"] = make_job(w.station, w.supervisor.ctx)


def _pending_url(w: World) -> str:
    job: Job = w.extra["pending"]
    return f"/api/v1/jobs/{job.pk}/auto-assign"


def _courier(w: World, tail: str) -> str:
    return f"/api/v1/couriers/{w.courier.pk}/{tail}"


ROWS: dict[str, Row] = {
    #                                                                anon c_own c_other s_own s_other admin
    "dispatch-station-plan": Row(
        "post",
        lambda w: f"/api/v1/stations/{w.station.code}/plan",
        "401 403w 403w 200 403p 200",
        body=lambda w: {"max_iterations": 50},
    ),
    "dispatch-station-decisions": Row(
        "get",
        lambda w: f"/api/v1/stations/{w.station.code}/assignment-decisions",
        "401 403w 403w 200 403p 200",
    ),
    "dispatch-station-unassigned": Row(
        "get", lambda w: f"/api/v1/stations/{w.station.code}/unassigned", "401 403w 403w 200 403p 200"
    ),
    "dispatch-courier-replan": Row("post", lambda w: _courier(w, "replan"), "401 403w 403w 200 404 200"),
    # a courier sees their own plan (and its diff), not a colleague's
    "dispatch-courier-plan": Row("get", lambda w: _courier(w, "plan"), "401 200 404 200 404 200"),
    "dispatch-courier-unavailable-preview": Row(
        "get", lambda w: _courier(w, "unavailable-preview"), "401 403w 403w 200 404 200"
    ),
    "dispatch-courier-unavailable": Row(
        "post",
        lambda w: _courier(w, "unavailable"),
        "401 403w 403w 200 404 200",
        body=lambda w: {
            "reason": "sick",
            "jobs": [
                {"id": j.pk, "version": j.version}
                for j in (w.delivery, w.pickup)
                if j.service_date == station_today(w.station)
            ],
        },
    ),
    "dispatch-job-auto-assign": Row("post", _pending_url, "401 403w 403w 200 404 200", setup=_pending),
    "dispatch-reassignments": Row(
        "post",
        lambda w: "/api/v1/reassignments",
        "401 403w 403w 200 404 200",
        body=lambda w: {
            "jobs": [{"id": w.delivery.pk, "version": w.delivery.version}],
            "to_courier_id": w.other_courier.pk,
            "reason": "rebalance",
        },
    ),
}
