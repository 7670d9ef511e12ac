"""The supervisor's desk over HTTP: the job list and its filters, assignment, shipments, scans."""

from __future__ import annotations

import pytest

from backend.couriers.models import Courier, Station
from backend.couriers.selectors import station_today
from backend.shipments.models import Job, Shipment
from backend.shipments.services import job_assign, shipment_transition
from tests.backend.api.conftest import Api
from tests.fixtures.jobs import MakeJobs, make_job
from tests.fixtures.people import Person, make_courier

pytestmark = pytest.mark.django_db


def jobs_url(station: Station) -> str:
    return f"/api/v1/stations/{station.code}/jobs"


def test_the_station_list_filters_by_status_kind_courier_and_unassigned(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person], make_jobs: MakeJobs
) -> None:
    c, _ = courier
    mine = make_jobs(station, supervisor.ctx, 2, courier=c)
    free = make_jobs(station, supervisor.ctx, 3)
    pickup = make_job(station, supervisor.ctx, "pickup")
    url = jobs_url(station)

    def ids(**params: object) -> set[int]:
        r = api.get(url, supervisor, **params)
        assert r.status_code == 200, r.json()
        return {row["id"] for row in r.json()["results"]}

    assert ids() == {j.pk for j in [*mine, *free, pickup]}
    assert ids(status="assigned") == {j.pk for j in mine}
    assert ids(kind="pickup") == {pickup.pk}
    assert ids(courier=str(c.pk)) == ids(courier=c.employee_no) == {j.pk for j in mine}
    assert ids(unassigned="true") == {j.pk for j in [*free, pickup]}
    assert ids(service_date="2026-11-24") == ids()
    assert ids(service_date="2026-11-25") == set()
    row = api.get(url, supervisor, courier=c.employee_no).json()["results"][0]
    assert row["courier"] == {"id": c.pk, "employee_no": c.employee_no, "name": c.name}


def test_the_station_list_is_paginated_and_refuses_bad_filters(
    api: Api, station: Station, supervisor: Person, make_jobs: MakeJobs
) -> None:
    make_jobs(station, supervisor.ctx, 5)
    url = jobs_url(station)
    page = api.get(url, supervisor, page_size=2, page=2).json()
    assert (page["count"], len(page["results"])) == (5, 2)
    assert page["next"] is not None and page["previous"] is not None
    assert api.get(url, supervisor, page=9).json()["code"] == "not_found"
    for params in ({"status": "lost"}, {"service_date": "24/11/2026"}, {"kind": "x"}):
        r = api.get(url, supervisor, **params)
        assert (r.status_code, r.json()["code"]) == (400, "invalid"), params


def test_assign_reassign_unassign_and_cancel(
    api: Api,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
    other_station: Station,
) -> None:
    c, _ = courier
    job = make_job(station, supervisor.ctx)
    url = f"/api/v1/jobs/{job.pk}"
    r = api.post(
        f"{url}/assign", {"courier_id": c.pk, "reason": "zone", "version": job.version}, as_=supervisor
    )
    assert (r.status_code, r.json()["status"], r.json()["courier_id"]) == (200, "assigned", c.pk)
    r = api.post(f"{url}/assign", {"courier_id": other_courier[0].pk}, as_=supervisor)
    assert r.json()["courier_id"] == other_courier[0].pk
    stranger, _ = make_courier(other_station)
    r = api.post(f"{url}/assign", {"courier_id": stranger.pk}, as_=supervisor)
    assert (r.status_code, r.json()["code"]) == (409, "courier_other_station")
    r = api.post(f"{url}/assign", {"courier_id": 2**62}, as_=supervisor)
    assert (r.status_code, r.json()["code"]) == (404, "not_found")
    r = api.post(f"{url}/unassign", {"reason": "sick"}, as_=supervisor)
    assert (r.json()["status"], r.json()["courier_id"]) == ("pending", None)
    r = api.post(f"{url}/cancel", {}, as_=supervisor)
    assert (r.status_code, r.json()["code"]) == (400, "invalid")
    r = api.post(f"{url}/cancel", {"reason": "sender cancelled"}, as_=supervisor)
    assert r.json()["status"] == "cancelled"
    r = api.post(f"{url}/cancel", {"reason": "again"}, as_=supervisor)
    assert (r.status_code, r.json()["code"]) == (409, "invalid_transition")


def test_shipment_detail_shows_history_to_staff_and_to_its_courier_only(
    api: Api,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    job = job_assign(
        job_id=make_job(station, supervisor.ctx).pk, courier_id=courier[0].pk, ctx=supervisor.ctx
    )
    url = f"/api/v1/shipments/{job.shipment.tracking_no}"
    r = api.get(url, supervisor)
    assert r.status_code == 200
    assert [e["kind"] for e in r.json()["events"]] == ["created", "job_assigned"]
    assert r.json()["station_code"] == station.code
    assert api.get(url, courier[1]).status_code == 200
    assert api.get(url, other_courier[1]).json()["code"] == "not_found"
    r = api.get("/api/v1/shipments/PR000000000011", supervisor)  # bad check digit
    assert (r.status_code, r.json()["code"]) == (400, "invalid_tracking_no")


def test_a_supervisor_decides_and_bad_decisions_are_refused(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx)
    url = f"/api/v1/shipments/{job.shipment.tracking_no}/transition"
    r = api.post(url, {"to": "held", "reason": "customer will collect"}, as_=supervisor)
    assert (r.status_code, r.json()["code"]) == (409, "invalid_transition")  # created → held is not allowed
    r = api.post(url, {"to": "exception", "reason": "box crushed"}, as_=supervisor)
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["events"][-1]["kind"]) == ("exception", "exception")
    assert r.json()["events"][-1]["details"] == {"reason": "box crushed"}
    r = api.post(url, {"to": "created", "reason": "undo"}, as_=supervisor)
    assert (r.status_code, r.json()["code"]) == (400, "invalid")
    r = api.post(url, {"to": "returning", "reason": "x"}, as_=courier[1])
    assert (r.status_code, r.json()["code"]) == (403, "wrong_role")


def test_scans_move_the_status_and_late_scans_are_kept(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx)
    tn = job.shipment.tracking_no
    r = api.post("/api/v1/scans", {"tracking_no": tn, "kind": "station_in"}, as_=courier[1])
    assert r.status_code == 201
    assert (r.json()["status"], r.json()["status_unchanged"]) == ("at_station", False)
    shipment_transition(shipment_id=job.shipment_id, to="held", ctx=supervisor.ctx, reason="collect")
    late = api.post("/api/v1/scans", {"tracking_no": tn.lower(), "kind": "station_in"}, as_=supervisor)
    assert (late.json()["status"], late.json()["status_unchanged"]) == ("held", True)
    assert Shipment.objects.get(tracking_no=tn).events.count() == 4
    r = api.post("/api/v1/scans", {"tracking_no": tn, "kind": "teleported"}, as_=supervisor)
    assert (r.status_code, r.json()["code"]) == (400, "invalid")


def test_station_couriers_show_duty_and_todays_counts(
    api: Api,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    c, _ = courier
    today = station_today(station)
    for _ in range(2):
        job_assign(
            job_id=make_job(station, supervisor.ctx, service_date=today).pk,
            courier_id=c.pk,
            ctx=supervisor.ctx,
        )
    job_assign(
        job_id=make_job(station, supervisor.ctx, service_date=today.replace(year=2031)).pk,
        courier_id=c.pk,
        ctx=supervisor.ctx,
    )
    r = api.get(f"/api/v1/stations/{station.code}/couriers", supervisor)
    assert r.status_code == 200
    rows = {row["employee_no"]: row for row in r.json()}
    assert (rows[c.employee_no]["open_jobs"], rows[c.employee_no]["duty_status"]) == (2, "on_duty")
    assert rows[other_courier[0].employee_no]["open_jobs"] == 0
    assert Job.objects.filter(courier=c).count() == 3
