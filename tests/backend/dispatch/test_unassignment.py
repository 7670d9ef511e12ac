"""A supervisor puts jobs back in the queue: a reason, an audit row each, all or nothing."""

from __future__ import annotations

import pytest

from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.dispatch.models import AssignmentDecision, DecisionKind, DecisionRule
from backend.dispatch.services import JobVersion, unassign_jobs
from backend.shipments.services import job_accept
from backend.shipments.states import JobStatus
from tests.backend.dispatch.factories import given_to, job_at, refresh
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def test_the_jobs_go_back_to_the_queue_each_with_its_audit_row(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a = given_to(job_at(station, supervisor.ctx, 1.0), courier[0], supervisor.ctx)
    b = given_to(job_at(station, supervisor.ctx, 2.0), other_courier[0], supervisor.ctx)
    job_accept(job_id=b.pk, ctx=other_courier[1].ctx)
    b = refresh(b)

    queued = unassign_jobs(
        jobs=[JobVersion(a.pk, a.version), JobVersion(b.pk, b.version)], reason="路不通", ctx=supervisor.ctx
    )

    assert [(j.pk, j.status, j.courier_id) for j in queued] == [
        (a.pk, JobStatus.PENDING, None),
        (b.pk, JobStatus.PENDING, None),
    ]
    rows = {d.job_id: d for d in AssignmentDecision.objects.filter(job_id__in=[a.pk, b.pk])}
    assert {
        (d.courier_id, d.prev_courier_id, d.kind, d.rule, d.reason, d.actor_id) for d in rows.values()
    } == {
        (None, courier[0].pk, DecisionKind.SUPERVISOR, DecisionRule.SUPERVISOR, "路不通", supervisor.user.pk),
        (
            None,
            other_courier[0].pk,
            DecisionKind.SUPERVISOR,
            DecisionRule.SUPERVISOR,
            "路不通",
            supervisor.user.pk,
        ),
    }


def test_one_stale_job_refuses_the_whole_set_and_a_reason_is_required(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    a = given_to(job_at(station, supervisor.ctx, 1.0), courier[0], supervisor.ctx)
    b = given_to(job_at(station, supervisor.ctx, 2.0), courier[0], supervisor.ctx)
    stale = JobVersion(b.pk, refresh(b).version)
    job_accept(job_id=b.pk, ctx=courier[1].ctx)
    with pytest.raises(DomainError) as err:
        unassign_jobs(jobs=[JobVersion(a.pk, refresh(a).version), stale], reason="x", ctx=supervisor.ctx)
    assert err.value.code == "reassign_conflict"
    assert [(c["job_id"], c["code"]) for c in err.value.details["conflicts"]] == [(b.pk, "version_conflict")]
    assert refresh(a).courier_id == courier[0].pk
    with pytest.raises(DomainError) as err:
        unassign_jobs(jobs=[JobVersion(a.pk, refresh(a).version)], reason="  ", ctx=supervisor.ctx)
    assert err.value.code == "invalid"


def test_a_job_already_in_the_queue_cannot_be_unassigned_again(station: Station, supervisor: Person) -> None:
    job = job_at(station, supervisor.ctx, 1.0)
    with pytest.raises(DomainError) as err:
        unassign_jobs(jobs=[JobVersion(job.pk, job.version)], reason="x", ctx=supervisor.ctx)
    assert [c["code"] for c in err.value.details["conflicts"]] == ["invalid_transition"]
