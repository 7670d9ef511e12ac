"""A bulk reassignment is one pass: a constant number of statements whatever the number of jobs,
each route rewritten once, every job still checked, audited and announced on its own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.dispatch.models import AssignmentDecision, DecisionRule
from backend.dispatch.services import JobVersion, reassign_jobs
from backend.shipments.models import FeedEntry, Job, TrackingEvent
from backend.shipments.states import EventKind
from tests.backend.dispatch.factories import at, given_to, job_at, refresh
from tests.fixtures.people import Person, make_courier

pytestmark = pytest.mark.django_db

NOW = at(9, 0)


def jv(job: Job) -> JobVersion:
    return JobVersion(job.pk, refresh(job).version)


def on_route(station: Station, ctx: Person, courier: Courier, n: int, first_km: float = 0.2) -> list[Job]:
    # Close to the station (a few minutes apart): a long route still fits the shift, so no job is at risk.
    return [given_to(job_at(station, ctx.ctx, first_km + 0.01 * i), courier, ctx.ctx) for i in range(n)]


def moved_statements(station: Station, supervisor: Person, n: int) -> int:
    a, _ = make_courier(station)
    b, _ = make_courier(station)
    on_route(station, supervisor, b, 5, first_km=1.0)  # the receiver already has a route
    jobs = on_route(station, supervisor, a, n + 3)
    seen = [jv(j) for j in jobs[:n]]
    with CaptureQueriesContext(connection) as queries:
        moved, at_risk = reassign_jobs(
            jobs=seen, to_courier_id=b.pk, reason="A is sick", ctx=supervisor.ctx, now=NOW
        )
    assert ([j.courier_id for j in moved], at_risk) == ([b.pk] * n, [])
    return len(queries)


def test_the_number_of_statements_does_not_grow_with_the_number_of_jobs(
    station: Station, supervisor: Person
) -> None:
    few, many = moved_statements(station, supervisor, 10), moved_statements(station, supervisor, 200)

    assert few == many, (few, many)
    assert many <= 40  # locks, the routes' reads, one write per table, the feed block, the re-plan ticks


def test_every_job_is_audited_and_announced_and_each_route_is_written_once(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a, b = courier[0], other_courier[0]
    c, _ = make_courier(station)
    from_a, from_c = on_route(station, supervisor, a, 4), on_route(station, supervisor, c, 3, first_km=2.0)
    b_own = on_route(station, supervisor, b, 2, first_km=5.0)
    before = FeedEntry.objects.order_by("-cursor").values_list("cursor", flat=True).first() or 0
    moving = [from_a[0], from_a[2], from_c[1]]

    moved, _ = reassign_jobs(
        jobs=[jv(j) for j in moving], to_courier_id=b.pk, reason="rebalance", ctx=supervisor.ctx, now=NOW
    )

    assert {j.pk for j in moved} == {j.pk for j in moving} and {j.courier_id for j in moved} == {b.pk}
    decisions = AssignmentDecision.objects.filter(job__in=moving).order_by("job_id")
    assert [(d.prev_courier_id, d.rule, d.reason, d.actor_id) for d in decisions] == [
        (a.pk, DecisionRule.SUPERVISOR, "rebalance", supervisor.user.pk),
        (a.pk, DecisionRule.SUPERVISOR, "rebalance", supervisor.user.pk),
        (c.pk, DecisionRule.SUPERVISOR, "rebalance", supervisor.user.pk),
    ]
    events = TrackingEvent.objects.filter(
        job__in=moving, kind=EventKind.JOB_ASSIGNED, details__reason="rebalance"
    )
    assert events.count() == 3
    rows = list(FeedEntry.objects.filter(cursor__gt=before).order_by("cursor"))
    assigned = [(r.job_id, r.courier_id, r.prev_courier_id) for r in rows if r.kind == "job.assigned"]
    assert sorted(assigned) == sorted(
        (j.pk, b.pk, refresh_prev) for j, refresh_prev in zip(moving, (a.pk, a.pk, c.pk), strict=True)
    )
    routes = [r.courier_id for r in rows if r.kind == "route.planned"]
    assert sorted(routes) == sorted([a.pk, b.pk, c.pk])  # one row per rewritten route, not per job
    # Each route numbered 0..n-1 with an ETA, the moved jobs in the receiver's.
    for courier_id, expected in ((a.pk, 2), (b.pk, 5), (c.pk, 2)):
        plan = list(
            Job.objects.filter(courier_id=courier_id)
            .order_by("planned_seq")
            .values_list("planned_seq", "eta")
        )
        assert [s for s, _ in plan] == list(range(expected)) and all(e is not None for _, e in plan)
    assert {j.pk for j in b_own} <= set(Job.objects.filter(courier_id=b.pk).values_list("pk", flat=True))


def test_one_stale_job_among_many_refuses_all_and_lists_each(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a, b = courier[0], other_courier[0]
    jobs = on_route(station, supervisor, a, 6)
    seen = [jv(j) for j in jobs]
    seen[1] = JobVersion(jobs[1].pk, seen[1].version - 1)
    seen[4] = JobVersion(jobs[4].pk, seen[4].version + 3)
    before = (FeedEntry.objects.count(), TrackingEvent.objects.count(), AssignmentDecision.objects.count())

    with pytest.raises(DomainError) as err:
        reassign_jobs(jobs=seen, to_courier_id=b.pk, reason="rebalance", ctx=supervisor.ctx, now=NOW)

    assert err.value.code == "reassign_conflict"
    assert [(c["job_id"], c["code"]) for c in err.value.details["conflicts"]] == [
        (jobs[1].pk, "version_conflict"),
        (jobs[4].pk, "version_conflict"),
    ]
    after = (FeedEntry.objects.count(), TrackingEvent.objects.count(), AssignmentDecision.objects.count())
    assert after == before
    assert set(Job.objects.filter(pk__in=[j.pk for j in jobs]).values_list("courier_id", flat=True)) == {a.pk}


def test_a_tight_window_gets_its_place_and_an_unreachable_one_is_flagged_at_risk(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a, b = courier[0], other_courier[0]
    on_route(station, supervisor, b, 3, first_km=3.0)
    loose = given_to(job_at(station, supervisor.ctx, 3.5), a, supervisor.ctx)
    tight = given_to(job_at(station, supervisor.ctx, 1.0, window=(at(9, 0), at(9, 20))), a, supervisor.ctx)
    lost = given_to(job_at(station, supervisor.ctx, 30.0, window=(at(9, 0), at(9, 10))), a, supervisor.ctx)

    _, at_risk = reassign_jobs(
        jobs=[jv(loose), jv(tight), jv(lost)],
        to_courier_id=b.pk,
        reason="rebalance",
        ctx=supervisor.ctx,
        now=NOW,
    )

    assert at_risk == [lost.pk]
    assert refresh(tight).planned_seq == 0  # served first: its window closes at 9:20
    order = list(Job.objects.filter(courier_id=b.pk).order_by("planned_seq").values_list("pk", flat=True))
    assert order[-1] == lost.pk  # the supervisor's call stands: last, flagged
