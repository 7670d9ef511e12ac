"""Reassigning from the console: a form, a reason, and the one reassignment service."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.couriers.models import Courier, Station
from backend.dispatch.models import AssignmentDecision, DecisionKind
from backend.shipments.models import Job
from backend.shipments.services import job_accept, job_assign, job_deliver, job_start, scan
from backend.shipments.services.door_inputs import ProofInput
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def _post(client: Client, station: Station, **data: object) -> object:
    return client.post(f"/console/{station.code}/reassign", data)


def test_it_moves_the_jobs_and_records_who_and_why(
    client: Client,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a = job_assign(job_id=make_job(station, supervisor.ctx).pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    b = make_job(station, supervisor.ctx)
    client.force_login(supervisor.user)
    answer = _post(
        client,
        station,
        courier=other_courier[0].pk,
        reason="小王病了",
        jobs=f"{a.pk}:{a.version},{b.pk}:{b.version}",
    )
    assert answer.status_code == 200, answer.content  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert [m["job_id"] for m in body["moved"]] == sorted([a.pk, b.pk])
    assert set(Job.objects.filter(pk__in=[a.pk, b.pk]).values_list("courier_id", flat=True)) == {
        other_courier[0].pk
    }
    decisions = AssignmentDecision.objects.filter(job_id__in=[a.pk, b.pk])
    assert {(d.kind, d.reason, d.actor_id) for d in decisions} == {
        (DecisionKind.SUPERVISOR, "小王病了", supervisor.user.pk)
    }


def test_a_reason_is_required(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx)
    client.force_login(supervisor.user)
    answer = _post(client, station, courier=courier[0].pk, reason="   ", jobs=f"{job.pk}:{job.version}")
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert answer.json()["details"]["fields"].keys() == {"reason"}  # type: ignore[attr-defined]
    assert Job.objects.get(pk=job.pk).courier_id is None


def test_a_stale_version_and_a_job_completed_meanwhile_come_back_as_conflicts(
    client: Client,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    seen = job_assign(
        job_id=make_job(station, supervisor.ctx).pk, courier_id=courier[0].pk, ctx=supervisor.ctx
    )
    job_accept(job_id=seen.pk, ctx=courier[1].ctx)  # moved on since the supervisor loaded the board
    done = make_job(station, supervisor.ctx)
    scan(tracking_no=done.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    done = job_assign(job_id=done.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    job_start(job_id=done.pk, ctx=courier[1].ctx)
    proof = ProofInput(method="photo", recipient_relation="self", media_sha256=["ab" * 32])
    job_deliver(job_id=done.pk, ctx=courier[1].ctx, proof=proof)  # delivered while the supervisor looked
    client.force_login(supervisor.user)
    jobs = f"{seen.pk}:{seen.version},{done.pk}:{done.version}"
    answer = _post(client, station, courier=other_courier[0].pk, reason="late", jobs=jobs)
    assert answer.status_code == 409  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert body["code"] == "reassign_conflict"
    codes = {(c["job_id"], c["code"]) for c in body["details"]["conflicts"]}
    assert codes == {(seen.pk, "version_conflict"), (done.pk, "already_done")}
    assert (
        list(Job.objects.filter(pk__in=[seen.pk, done.pk]).values_list("courier_id", flat=True))
        == [courier[0].pk] * 2
    )


def test_another_station_s_supervisor_cannot_move_our_jobs(
    client: Client,
    station: Station,
    other_station: Station,
    supervisor: Person,
    other_supervisor: Person,
    courier: tuple[Courier, Person],
) -> None:
    job = make_job(station, supervisor.ctx)
    client.force_login(other_supervisor.user)
    assert _post(client, station, courier=courier[0].pk, reason="x", jobs=f"{job.pk}:1").status_code == 404  # type: ignore[attr-defined]
    answer = _post(client, other_station, courier=courier[0].pk, reason="x", jobs=f"{job.pk}:1")
    assert answer.status_code in (403, 404)  # type: ignore[attr-defined]
    assert Job.objects.get(pk=job.pk).courier_id is None


def test_the_post_needs_the_csrf_token(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(supervisor.user)
    answer = strict.post(
        f"/console/{station.code}/reassign", {"courier": courier[0].pk, "reason": "x", "jobs": f"{job.pk}:1"}
    )
    assert answer.status_code == 403
