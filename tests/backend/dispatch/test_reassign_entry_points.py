"""Reassigning one job by REST, by socket command or in bulk is one policy: the same audit row,
the same place in the route, the same refusals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from backend.common.errors import DomainError
from backend.couriers.models import Courier, DutyStatus, Station
from backend.couriers.services import courier_set_duty
from backend.dispatch.models import AssignmentDecision, DecisionKind, DecisionRule
from backend.dispatch.services import DEFAULT_REASON
from backend.realtime.audience import Audience
from backend.realtime.commands import execute
from backend.shipments.models import Job
from tests.backend.api.conftest import Api
from tests.backend.dispatch.factories import at, given_to, job_at, refresh
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db

NOW = at(9, 0)


@pytest.fixture
def api() -> Api:
    return Api()


def by_rest(api: Api, boss: Person, job: Job, to: Courier, reason: str | None) -> Any:
    body: dict[str, Any] = {"courier_id": to.pk, "version": job.version}
    if reason is not None:
        body["reason"] = reason
    r = api.post(f"/api/v1/jobs/{job.pk}/assign", body, as_=boss)
    return r.status_code, r.json()


def by_socket(api: Api, boss: Person, job: Job, to: Courier, reason: str | None) -> Any:
    payload: dict[str, Any] = {"job_id": job.pk, "courier_id": to.pk, "expected_version": job.version}
    if reason is not None:
        payload["reason"] = reason
    audience = Audience(feed="station", target_id=job.station_id, principal=boss.principal, device_id="dev")
    try:
        return 200, execute(audience, "job.reassign", payload)
    except DomainError as exc:
        return 409, {"code": exc.code}


def by_bulk(api: Api, boss: Person, job: Job, to: Courier, reason: str | None) -> Any:
    body = {"jobs": [{"id": job.pk, "version": job.version}], "to_courier_id": to.pk, "reason": reason}
    r = api.post("/api/v1/reassignments", body, as_=boss)
    return r.status_code, r.json()


DOORS: dict[str, Callable[[Api, Person, Job, Courier, str | None], Any]] = {
    "POST /jobs/{id}/assign": by_rest,
    "socket job.reassign": by_socket,
    "POST /reassignments": by_bulk,
}


def _audit(job: Job) -> tuple[object, ...]:
    d = AssignmentDecision.objects.get(job=job)
    return (d.kind, d.rule, d.reason, d.courier_id, d.prev_courier_id, d.actor_id)


@pytest.mark.parametrize("door", DOORS)
@time_machine.travel(NOW, tick=False)
def test_every_door_writes_the_same_audit_row_and_places_the_job(
    door: str,
    api: Api,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a, b = courier[0], other_courier[0]
    job = given_to(job_at(station, supervisor.ctx, 1.0), a, supervisor.ctx)
    b_job = given_to(job_at(station, supervisor.ctx, 2.5), b, supervisor.ctx)

    status, _ = DOORS[door](api, supervisor, refresh(job), b, "A's tyre is flat")

    assert status == 200
    assert _audit(job) == (
        DecisionKind.SUPERVISOR,
        DecisionRule.SUPERVISOR,
        "A's tyre is flat",
        b.pk,
        a.pk,
        supervisor.user.pk,
    )
    assert (refresh(job).planned_seq, refresh(b_job).planned_seq) == (0, 1)  # on B's way out


@pytest.mark.parametrize("door", ["POST /jobs/{id}/assign", "socket job.reassign"])
def test_the_single_job_doors_record_the_default_reason_when_none_is_given(
    door: str,
    api: Api,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
) -> None:
    job = job_at(station, supervisor.ctx, 1.0)

    status, _ = DOORS[door](api, supervisor, refresh(job), courier[0], None)

    assert status == 200
    assert _audit(job)[2] == DEFAULT_REASON == "supervisor_edit"


@pytest.mark.parametrize("door", DOORS)
def test_every_door_refuses_a_courier_who_is_not_on_duty(
    door: str,
    api: Api,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    job = given_to(job_at(station, supervisor.ctx, 1.0), courier[0], supervisor.ctx)
    courier_set_duty(courier_id=other_courier[0].pk, duty_status=DutyStatus.ON_BREAK)

    status, body = DOORS[door](api, supervisor, refresh(job), other_courier[0], "rebalance")

    assert (status, body["code"]) == (409, "courier_not_on_duty")
    assert refresh(job).courier_id == courier[0].pk
    assert not AssignmentDecision.objects.filter(kind=DecisionKind.SUPERVISOR).exists()
