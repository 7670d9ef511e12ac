"""Dropping cards on the unassigned lane: a form, a reason, and ``unassign_jobs``."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.couriers.models import Courier, Station
from backend.dispatch.models import AssignmentDecision
from backend.shipments.models import Job
from backend.shipments.services import job_assign
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def test_it_puts_the_jobs_back_in_the_queue_with_the_reason(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = job_assign(
        job_id=make_job(station, supervisor.ctx).pk, courier_id=courier[0].pk, ctx=supervisor.ctx
    )
    client.force_login(supervisor.user)
    answer = client.post(
        f"/console/{station.code}/unassign", {"reason": "地址错了", "jobs": f"{job.pk}:{job.version}"}
    )
    assert answer.status_code == 200, answer.content
    assert [m["job_id"] for m in answer.json()["moved"]] == [job.pk]
    assert Job.objects.get(pk=job.pk).courier_id is None
    # With the partial the page applies at once: the card, now in the queue.
    version = Job.objects.get(pk=job.pk).version
    assert f'data-job="{job.pk}" data-version="{version}" data-lane="unassigned"' in answer.json()["changes"]
    decision = AssignmentDecision.objects.get(job_id=job.pk)
    assert (decision.reason, decision.actor_id, decision.prev_courier_id) == (
        "地址错了",
        supervisor.user.pk,
        courier[0].pk,
    )


def test_a_reason_is_required_and_another_station_is_not_found(
    client: Client,
    station: Station,
    other_station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
) -> None:
    job = job_assign(
        job_id=make_job(station, supervisor.ctx).pk, courier_id=courier[0].pk, ctx=supervisor.ctx
    )
    client.force_login(supervisor.user)
    answer = client.post(
        f"/console/{station.code}/unassign", {"reason": " ", "jobs": f"{job.pk}:{job.version}"}
    )
    assert answer.status_code == 400 and answer.json()["details"]["fields"].keys() == {"reason"}
    assert (
        client.post(
            f"/console/{other_station.code}/unassign", {"reason": "x", "jobs": f"{job.pk}:1"}
        ).status_code
        == 404
    )
    assert Job.objects.get(pk=job.pk).courier_id == courier[0].pk
