"""The dispatch endpoints over HTTP: shapes, status codes and error bodies (the services have their own tests)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from backend.couriers.models import Courier, DutyStatus, Station
from backend.couriers.selectors import station_today
from backend.couriers.services import courier_set_duty
from backend.dispatch.models import AssignmentDecision
from backend.shipments.models import Job
from tests.backend.api.conftest import Api
from tests.backend.dispatch.factories import given_to, job_at, refresh
from tests.clock import FIXTURE_DAY, everyone_at, station_tz
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def api() -> Api:
    return Api()


# These calls plan from "now". A day-long shift is not enough to make them independent of when the
# suite runs: at 23:50 at the station it has ten minutes left and an insertion no longer fits (the
# real-time pass of a CI run at 15:45 UTC found it). So they run at 10:00 station time.
MORNING = datetime.combine(FIXTURE_DAY, time(10, 0), tzinfo=ZoneInfo(station_tz())).astimezone(UTC)


@pytest.fixture(autouse=True)
def around_the_clock(
    courier: tuple[Courier, Person], other_courier: tuple[Courier, Person]
) -> Iterator[None]:
    Courier.objects.update(shift_start=time(0, 0), shift_end=time(23, 59, 59))
    with everyone_at(MORNING):
        yield


def today_job(station: Station, supervisor: Person, east_km: float, **kw: object) -> Job:
    return job_at(station, supervisor.ctx, east_km, day=station_today(station), **kw)  # type: ignore[arg-type]


def test_auto_assign_answers_the_decision_and_the_desk_lists_it(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = today_job(station, supervisor, 1.0)

    r = api.post(f"/api/v1/jobs/{job.pk}/auto-assign", as_=supervisor)

    assert r.status_code == 200, r.json()
    body = r.json()
    assert (body["job_id"], body["rule"], body["kind"]) == (job.pk, "insertion", "auto")
    assert body["courier"]["id"] in (courier[0].pk, Courier.objects.exclude(pk=courier[0].pk).get().pk)
    assert body["reason"].startswith("cheapest feasible insertion, +2.6 km, +")
    listed = api.get(
        f"/api/v1/stations/{station.code}/assignment-decisions", supervisor, job_id=job.pk
    ).json()
    assert [d["reason"] for d in listed] == [body["reason"]]
    again = api.post(f"/api/v1/jobs/{job.pk}/auto-assign", as_=supervisor)
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_the_unassigned_queue_shows_why_and_the_alert(api: Api, station: Station, supervisor: Person) -> None:
    Courier.objects.update(duty_status=DutyStatus.OFF_DUTY)
    job = today_job(station, supervisor, 1.0)
    api.post(f"/api/v1/jobs/{job.pk}/auto-assign", as_=supervisor)

    rows = api.get(f"/api/v1/stations/{station.code}/unassigned", supervisor).json()

    reason = "no feasible courier: queued for a supervisor (no courier on duty)"
    assert [(r["id"], r["last_reason"], r["alert"]) for r in rows] == [(job.pk, reason, reason)]


def test_a_courier_reads_their_plan_with_etas_and_the_last_diff(
    api: Api,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    c, person = courier
    jobs = [given_to(today_job(station, supervisor, km), c, supervisor.ctx) for km in (2.0, 1.0)]

    run = api.post(f"/api/v1/couriers/{c.pk}/replan", {"reason": "new day"}, as_=supervisor)
    assert run.status_code == 200, run.json()
    assert (run.json()["trigger"], run.json()["outcome"]) == ("new day", "applied")

    r = api.get(f"/api/v1/couriers/{c.pk}/plan", person)
    assert r.status_code == 200
    stops = r.json()["stops"]
    assert [s["id"] for s in stops] == [jobs[1].pk, jobs[0].pk]
    assert [s["planned_seq"] for s in stops] == [0, 1] and all(s["eta"] for s in stops)
    assert r.json()["last_run"]["diff"]["added"] == [jobs[1].pk, jobs[0].pk]
    assert api.get(f"/api/v1/couriers/{c.pk}/plan", other_courier[1]).status_code == 404


def test_a_stale_reassignment_is_409_with_each_job_explained(
    api: Api,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    job = given_to(today_job(station, supervisor, 1.0), courier[0], supervisor.ctx)
    body = {
        "jobs": [{"id": job.pk, "version": job.version - 1}],
        "to_courier_id": other_courier[0].pk,
        "reason": "rebalance",
    }

    r = api.post("/api/v1/reassignments", body, as_=supervisor)

    assert (r.status_code, r.json()["code"]) == (409, "reassign_conflict")
    assert [(c["job_id"], c["code"]) for c in r.json()["details"]["conflicts"]] == [
        (job.pk, "version_conflict")
    ]
    assert (
        api.post("/api/v1/reassignments", {**body, "reason": ""}, as_=supervisor).json()["code"] == "invalid"
    )
    assert api.post("/api/v1/reassignments", {**body, "jobs": []}, as_=supervisor).status_code == 400

    ok = api.post(
        "/api/v1/reassignments", {**body, "jobs": [{"id": job.pk, "version": job.version}]}, as_=supervisor
    )
    assert ok.status_code == 200, ok.json()
    assert ok.json()["jobs"][0]["courier_id"] == other_courier[0].pk
    assert AssignmentDecision.objects.get(job=job).actor_id == supervisor.user.pk


def test_courier_unavailable_preview_then_apply_and_a_stale_token_is_refused(
    api: Api,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    gone, taker = courier[0], other_courier[0]
    job = given_to(today_job(station, supervisor, 1.0), gone, supervisor.ctx)
    preview = api.get(f"/api/v1/couriers/{gone.pk}/unavailable-preview", supervisor).json()
    assert [(m["job_id"], m["version"], m["to_courier_id"]) for m in preview["moves"]] == [
        (job.pk, refresh(job).version, taker.pk)
    ]
    body = {
        "reason": "sick",
        "preview_token": preview["token"],
        "jobs": [{"id": m["job_id"], "version": m["version"]} for m in preview["moves"]],
    }

    courier_set_duty(courier_id=taker.pk, duty_status=DutyStatus.ON_BREAK)
    stale = api.post(f"/api/v1/couriers/{gone.pk}/unavailable", body, as_=supervisor)
    assert (stale.status_code, stale.json()["code"]) == (409, "preview_stale")

    courier_set_duty(courier_id=taker.pk, duty_status=DutyStatus.ON_DUTY)
    done = api.post(f"/api/v1/couriers/{gone.pk}/unavailable", body, as_=supervisor)
    assert done.status_code == 200, done.json()
    assert refresh(job).courier_id == taker.pk
    assert Courier.objects.get(pk=gone.pk).duty_status == DutyStatus.UNAVAILABLE


def test_a_station_plan_runs_with_a_budget_and_bad_budgets_are_400(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    today_job(station, supervisor, 1.0)
    r = api.post(f"/api/v1/stations/{station.code}/plan", {"seed": 1, "max_iterations": 100}, as_=supervisor)
    assert r.status_code == 200, r.json()
    assert (r.json()["outcome"], r.json()["courier_id"], r.json()["diff"]["unassigned"]) == (
        "applied",
        None,
        [],
    )
    bad = api.post(f"/api/v1/stations/{station.code}/plan", {"max_iterations": 0}, as_=supervisor)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid")
    assert "max_iterations" in bad.json()["details"]["fields"]
