"""Supervisor reassignment (one, several, "courier unavailable") with reasons, audit and version checks."""

from __future__ import annotations

import pytest

from backend.common.errors import DomainError
from backend.couriers.models import Courier, DutyStatus, Station
from backend.couriers.services import courier_set_duty
from backend.dispatch.models import AlertKind, AssignmentDecision, DecisionKind, DecisionRule, DispatchAlert
from backend.dispatch.services import (
    JobVersion,
    courier_unavailable_apply,
    courier_unavailable_preview,
    reassign_jobs,
)
from backend.shipments.models import FeedEntry, Job
from backend.shipments.services import job_accept, job_complete_pickup, job_start
from backend.shipments.services.door_inputs import PickupInput
from backend.shipments.states import JobStatus
from tests.backend.dispatch.factories import at, given_to, job_at, refresh
from tests.fixtures.people import Person, make_courier

pytestmark = pytest.mark.django_db

NOW = at(9, 0)


def jv(job: Job) -> JobVersion:
    return JobVersion(job.pk, refresh(job).version)


def test_one_job_moves_with_its_reason_audited_and_both_couriers_told(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a, b = courier[0], other_courier[0]
    first, second = (given_to(job_at(station, supervisor.ctx, km), a, supervisor.ctx) for km in (1.0, 2.0))
    b_job = given_to(job_at(station, supervisor.ctx, 2.5), b, supervisor.ctx)

    moved, at_risk = reassign_jobs(
        jobs=[jv(first)], to_courier_id=b.pk, reason="A's tyre is flat", ctx=supervisor.ctx, now=NOW
    )

    assert ([j.courier_id for j in moved], at_risk) == ([b.pk], [])
    decision = AssignmentDecision.objects.get(job=first)
    assert (decision.kind, decision.rule, decision.reason) == (
        DecisionKind.SUPERVISOR,
        DecisionRule.SUPERVISOR,
        "A's tyre is flat",
    )
    assert (decision.courier_id, decision.prev_courier_id, decision.actor_id) == (
        b.pk,
        a.pk,
        supervisor.user.pk,
    )
    feed = FeedEntry.objects.get(job_id=first.pk, kind="job.assigned", courier_id=b.pk)
    assert feed.prev_courier_id == a.pk  # the old courier's feed shows the revocation
    assert (refresh(first).planned_seq, refresh(b_job).planned_seq) == (0, 1)  # on B's way out, before 2.5 km
    assert refresh(second).planned_seq == 0 and refresh(second).eta is not None  # A's gap closed


def test_several_jobs_move_together_or_not_at_all(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a, b = courier[0], other_courier[0]
    fresh, stale = (given_to(job_at(station, supervisor.ctx, km), a, supervisor.ctx) for km in (1.0, 2.0))
    seen = [jv(fresh), JobVersion(stale.pk, refresh(stale).version - 1)]

    with pytest.raises(DomainError) as err:
        reassign_jobs(jobs=seen, to_courier_id=b.pk, reason="rebalance", ctx=supervisor.ctx, now=NOW)

    assert err.value.code == "reassign_conflict"
    assert err.value.details["conflicts"] == [
        {
            "job_id": stale.pk,
            "code": "version_conflict",
            "current_version": refresh(stale).version,
            "current_status": "assigned",
            "message": f"job {stale.pk} changed since you loaded it (version {seen[1].version}, now {refresh(stale).version})",
        }
    ]
    assert (refresh(fresh).courier_id, refresh(stale).courier_id) == (a.pk, a.pk)
    assert not AssignmentDecision.objects.exists()

    moved, _ = reassign_jobs(
        jobs=[jv(fresh), jv(stale)], to_courier_id=b.pk, reason="rebalance", ctx=supervisor.ctx, now=NOW
    )
    assert [j.courier_id for j in moved] == [b.pk, b.pk]
    assert AssignmentDecision.objects.filter(rule=DecisionRule.SUPERVISOR).count() == 2


def test_a_job_the_courier_already_completed_stays_completed_and_the_supervisor_is_told(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a, person = courier
    job = given_to(job_at(station, supervisor.ctx, 1.0, kind="pickup"), a, supervisor.ctx)
    seen = jv(job)
    job_accept(job_id=job.pk, ctx=person.ctx)
    job_start(job_id=job.pk, ctx=person.ctx)
    job_complete_pickup(
        job_id=job.pk,
        ctx=person.ctx,
        data=PickupInput(
            measured_weight_g=1200, weight_source="scale", scale_model="ACS-30", prohibited_items_absent=True
        ),
    )

    with pytest.raises(DomainError) as err:
        reassign_jobs(
            jobs=[seen], to_courier_id=other_courier[0].pk, reason="late", ctx=supervisor.ctx, now=NOW
        )

    conflict = err.value.details["conflicts"][0]
    assert (conflict["code"], conflict["current_status"]) == ("already_done", "completed")
    assert conflict["message"].endswith("the completion stands")
    assert (refresh(job).status, refresh(job).courier_id) == (JobStatus.COMPLETED, a.pk)


def test_a_reason_is_required_and_the_receiver_must_be_on_duty(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    job = given_to(job_at(station, supervisor.ctx, 1.0), courier[0], supervisor.ctx)
    with pytest.raises(DomainError) as err:
        reassign_jobs(jobs=[jv(job)], to_courier_id=other_courier[0].pk, reason="  ", ctx=supervisor.ctx)
    assert (err.value.code, err.value.details["field"]) == ("invalid", "reason")
    courier_set_duty(courier_id=other_courier[0].pk, duty_status=DutyStatus.ON_BREAK)
    with pytest.raises(DomainError) as err:
        reassign_jobs(jobs=[jv(job)], to_courier_id=other_courier[0].pk, reason="x", ctx=supervisor.ctx)
    assert err.value.code == "courier_not_on_duty"


def test_another_stations_supervisor_cannot_reassign(
    station: Station,
    supervisor: Person,
    other_supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    job = given_to(job_at(station, supervisor.ctx, 1.0), courier[0], supervisor.ctx)
    with pytest.raises(DomainError) as err:
        reassign_jobs(jobs=[jv(job)], to_courier_id=other_courier[0].pk, reason="x", ctx=other_supervisor.ctx)
    assert err.value.code == "permission_denied"


def test_courier_unavailable_preview_proposes_without_writing_and_apply_does_exactly_that(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    gone, east, west = courier[0], other_courier[0], make_courier(station)[0]
    given_to(job_at(station, supervisor.ctx, 3.0), east, supervisor.ctx)
    given_to(job_at(station, supervisor.ctx, -3.0), west, supervisor.ctx)
    to_east = given_to(job_at(station, supervisor.ctx, 2.0), gone, supervisor.ctx)
    to_west = given_to(job_at(station, supervisor.ctx, -2.0), gone, supervisor.ctx)
    hopeless = given_to(
        job_at(station, supervisor.ctx, 1.0, weight_g=400_000), gone, supervisor.ctx
    )  # > 300 kg
    versions = [jv(j) for j in (to_east, to_west, hopeless)]

    preview = courier_unavailable_preview(courier_id=gone.pk, ctx=supervisor.ctx, now=NOW)

    assert {m.job_id: m.to_courier_id for m in preview.moves} == {
        to_east.pk: east.pk,
        to_west.pk: west.pk,
        hopeless.pk: None,
    }
    assert [refresh(j).version for j in (to_east, to_west, hopeless)] == [v.version for v in versions]
    assert refresh(to_east).courier_id == gone.pk

    courier_unavailable_apply(
        courier_id=gone.pk,
        reason="sick",
        jobs=versions,
        ctx=supervisor.ctx,
        preview_token=preview.token,
        now=NOW,
    )

    assert (refresh(to_east).courier_id, refresh(to_west).courier_id) == (east.pk, west.pk)
    assert (refresh(hopeless).status, refresh(hopeless).courier_id) == (JobStatus.PENDING, None)
    assert Courier.objects.get(pk=gone.pk).duty_status == DutyStatus.UNAVAILABLE
    d = AssignmentDecision.objects.get(job=to_east)
    assert (d.rule, d.prev_courier_id, d.actor_id) == (
        DecisionRule.COURIER_UNAVAILABLE,
        gone.pk,
        supervisor.user.pk,
    )
    assert d.reason.startswith(f"sick — {gone.employee_no} unavailable; cheapest feasible insertion, +")
    assert AssignmentDecision.objects.get(job=hopeless).rule == DecisionRule.QUEUED
    assert DispatchAlert.objects.get(job=hopeless).kind == AlertKind.UNASSIGNABLE
    assert refresh(to_east).planned_seq == 0 and refresh(to_east).eta is not None


def test_apply_refuses_when_the_other_routes_changed_since_the_preview(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    gone, other = courier[0], other_courier[0]
    job = given_to(job_at(station, supervisor.ctx, 2.0), gone, supervisor.ctx)
    preview = courier_unavailable_preview(courier_id=gone.pk, ctx=supervisor.ctx, now=NOW)
    Courier.objects.filter(pk=other.pk).update(duty_status=DutyStatus.OFF_DUTY)  # the only taker left

    with pytest.raises(DomainError) as err:
        courier_unavailable_apply(
            courier_id=gone.pk,
            reason="sick",
            jobs=[jv(job)],
            ctx=supervisor.ctx,
            preview_token=preview.token,
            now=NOW,
        )

    assert err.value.code == "preview_stale"
    assert err.value.details["token"] != preview.token
    assert (refresh(job).courier_id, Courier.objects.get(pk=gone.pk).duty_status) == (
        gone.pk,
        DutyStatus.ON_DUTY,
    )


def test_apply_refuses_a_stale_version_and_a_job_added_since_the_preview(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    gone = courier[0]
    job = given_to(job_at(station, supervisor.ctx, 2.0), gone, supervisor.ctx)
    seen = jv(job)
    late = given_to(job_at(station, supervisor.ctx, 1.0), gone, supervisor.ctx)

    with pytest.raises(DomainError) as err:
        courier_unavailable_apply(courier_id=gone.pk, reason="sick", jobs=[seen], ctx=supervisor.ctx, now=NOW)

    assert err.value.code == "reassign_conflict"
    assert [(c["job_id"], c["code"]) for c in err.value.details["conflicts"]] == [
        (late.pk, "version_conflict")
    ]
    assert refresh(late).courier_id == gone.pk
