"""courier_replan, courier_refresh_etas and station_plan against the database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from backend.couriers.models import Courier, Station
from backend.dispatch.models import AlertKind, DecisionRule, DispatchAlert, PlanRun
from backend.dispatch.services import courier_refresh_etas, courier_replan, station_plan
from backend.shipments.models import FeedEntry, Job, TrackingEvent
from backend.shipments.services import job_unassign
from backend.shipments.services.planning import job_set_plan
from backend.shipments.states import JobStatus
from tests.backend.dispatch.factories import DAY, at, given_to, job_at, refresh, standing_at
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db

BEFORE_SHIFT = at(7, 0)


def planned(jobs: list[Job], order: list[int], ctx: object) -> None:
    """Give the jobs a planned order (index into ``jobs``) as a dispatcher would have."""
    for seq, i in enumerate(order):
        job_set_plan(job_id=jobs[i].pk, planned_seq=seq, eta=None, ctx=ctx)  # type: ignore[arg-type]


def line_east(station: Station, supervisor: Person, courier: Courier, kms: list[float]) -> list[Job]:
    return [given_to(job_at(station, supervisor.ctx, km), courier, supervisor.ctx) for km in kms]


def seqs(jobs: list[Job]) -> list[int | None]:
    return [refresh(j).planned_seq for j in jobs]


def test_a_replan_inserts_unplanned_jobs_and_writes_places_and_etas(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    jobs = line_east(station, supervisor, courier[0], [1.0, 2.0, 3.0])
    planned(jobs, [0, 2], supervisor.ctx)  # the 2 km job is new (unplanned)

    run = courier_replan(courier_id=courier[0].pk, trigger="test", now=BEFORE_SHIFT)

    assert seqs(jobs) == [0, 1, 2]
    assert (run.outcome, run.applied, run.reordered) == (PlanRun.Outcome.APPLIED, True, False)
    assert run.diff["sequence"] == [j.pk for j in jobs]
    assert (run.diff["added"], run.diff["moved"], run.diff["at_risk"]) == ([jobs[1].pk], [], [])
    # leaves 08:00, 1.3 km per step at 15 km/h (5.2 min) plus 3 minutes at each door
    etas = [refresh(j).eta for j in jobs]
    assert [round((e - at(8, 0)).total_seconds() / 60, 1) for e in etas] == [5.2, 13.4, 21.6]  # type: ignore[operator]
    change = run.diff["eta"][str(jobs[1].pk)]
    assert (change["old"], datetime.fromisoformat(change["new"])) == (None, etas[1])
    # a plan is not a parcel event: one feed row for the route (handheld, board), no tracking event
    route = FeedEntry.objects.get(kind="route.planned", courier_id=courier[0].pk).payload["route"]
    assert jobs[1].pk in [j["id"] for j in route["jobs"]]
    assert not TrackingEvent.objects.filter(job_id=jobs[1].pk, kind="job_planned").exists()


def test_no_gain_no_change_a_second_replan_writes_nothing(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    jobs = line_east(station, supervisor, courier[0], [1.0, 2.0, 3.0])
    courier_replan(courier_id=courier[0].pk, trigger="first", now=BEFORE_SHIFT)
    revisions = [refresh(j).plan_revision for j in jobs]

    run = courier_replan(courier_id=courier[0].pk, trigger="second", now=BEFORE_SHIFT)

    assert (run.outcome, run.jobs_written, run.diff["moved"]) == (PlanRun.Outcome.UNCHANGED, 0, [])
    assert [refresh(j).plan_revision for j in jobs] == revisions


def test_a_small_gain_below_the_threshold_keeps_the_current_order(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    # 1.1, 1.0 then 1.05 km east: 130 m longer than 1.0, 1.05, 1.1 (4 %; the bar is 5 % and 1 km)
    jobs = line_east(station, supervisor, courier[0], [1.1, 1.0, 1.05])
    planned(jobs, [0, 1, 2], supervisor.ctx)

    run = courier_replan(courier_id=courier[0].pk, trigger="test", now=BEFORE_SHIFT)

    assert run.diff["fresh_cost"] < run.diff["repaired_cost"]  # a better order exists, but not by enough
    assert (run.reordered, run.diff["moved"], seqs(jobs)) == (False, [], [0, 1, 2])


def test_a_worthwhile_gain_reorders_and_the_diff_names_the_moved_stops(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    jobs = line_east(station, supervisor, courier[0], [1.0, 2.0, 3.0, 4.0])
    planned(jobs, [3, 0, 2, 1], supervisor.ctx)  # 4, 1, 3, 2 km: zig-zag

    run = courier_replan(courier_id=courier[0].pk, trigger="test", now=BEFORE_SHIFT)

    assert run.reordered is True
    assert run.cost_before is not None and run.cost_after is not None
    assert run.cost_before - run.cost_after >= 1000
    assert refresh(jobs[0]).planned_seq < refresh(jobs[3]).planned_seq  # type: ignore[operator]
    assert len(run.diff["moved"]) >= 1


def test_same_seed_same_replan(station: Station, supervisor: Person, courier: tuple[Courier, Person]) -> None:
    jobs = line_east(station, supervisor, courier[0], [1.0, -2.0, 3.0, -4.0, 0.5])
    planned(jobs, [0, 1, 2, 3, 4], supervisor.ctx)
    first = courier_replan(courier_id=courier[0].pk, trigger="a", now=BEFORE_SHIFT, seed=7)
    planned(jobs, [0, 1, 2, 3, 4], supervisor.ctx)
    second = courier_replan(courier_id=courier[0].pk, trigger="b", now=BEFORE_SHIFT, seed=7)
    assert first.diff["sequence"] == second.diff["sequence"]
    assert first.cost_after == second.cost_after


def test_done_stops_stay_fixed_and_the_route_starts_where_the_courier_stands(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    here = standing_at(
        given_to(job_at(station, supervisor.ctx, 2.0, kind="pickup"), c, supervisor.ctx), person.ctx
    )
    rest = line_east(station, supervisor, c, [2.5, -1.0])
    job_set_plan(job_id=here.pk, planned_seq=0, eta=None, ctx=supervisor.ctx)
    here = refresh(here)

    run = courier_replan(courier_id=c.pk, trigger="test", now=at(9, 0))

    assert run.diff["sequence"] == [j.pk for j in rest]
    assert refresh(here).version == here.version  # history is not re-planned
    eta = refresh(rest[0]).eta
    assert abs((eta - at(9, 0)).total_seconds() - 0.65 / 15 * 3600) < 2  # type: ignore[operator]


def test_a_window_already_missed_is_served_late_and_raises_an_at_risk_alert(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    missed = given_to(
        job_at(station, supervisor.ctx, 2.0, window=(at(8, 0), at(8, 30))), courier[0], supervisor.ctx
    )
    fine = given_to(job_at(station, supervisor.ctx, 1.0), courier[0], supervisor.ctx)

    run = courier_replan(courier_id=courier[0].pk, trigger="test", now=at(9, 0))

    assert run.diff["late"] == [missed.pk]
    assert sorted(run.diff["sequence"]) == sorted([missed.pk, fine.pk])
    alert = DispatchAlert.objects.get(job=missed)
    assert (alert.kind, alert.courier_id) == (AlertKind.AT_RISK, courier[0].pk)
    assert refresh(missed).eta is not None and refresh(missed).eta > at(8, 30)  # type: ignore[operator]


def test_an_eta_refresh_keeps_the_order_and_moves_etas_to_the_actual_time(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    jobs = line_east(station, supervisor, courier[0], [3.0, 1.0, 2.0])  # a poor order, kept by a refresh
    planned(jobs, [0, 1, 2], supervisor.ctx)
    courier_refresh_etas(courier_id=courier[0].pk, now=at(7, 0))
    early = [refresh(j).eta for j in jobs]

    written, behind = courier_refresh_etas(courier_id=courier[0].pk, now=at(10, 0))

    assert (written, behind, seqs(jobs)) == (3, False, [0, 1, 2])
    assert [refresh(j).eta - e for j, e in zip(jobs, early, strict=True)] == [timedelta(hours=2)] * 3  # type: ignore[operator]


def test_an_eta_refresh_reports_a_courier_falling_behind(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    given_to(job_at(station, supervisor.ctx, 2.0, window=(at(9, 0), at(9, 30))), courier[0], supervisor.ctx)
    assert courier_refresh_etas(courier_id=courier[0].pk, now=at(9, 0))[1] is False
    assert courier_refresh_etas(courier_id=courier[0].pk, now=at(9, 25))[1] is True


def test_a_station_plan_spreads_the_pending_jobs_and_is_reproducible_with_a_seed(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    east = [job_at(station, supervisor.ctx, km, window=(at(8, 0), at(8, 45))) for km in (1.0, 2.0, 3.0)]
    west = [job_at(station, supervisor.ctx, -km, window=(at(8, 0), at(8, 45))) for km in (1.0, 2.0, 3.0)]

    run = station_plan(station_id=station.pk, ctx=supervisor.ctx, day=DAY, now=BEFORE_SHIFT, seed=3)

    assert (run.outcome, run.diff["unassigned"]) == (PlanRun.Outcome.APPLIED, [])
    owners = {refresh(j).courier_id for j in east}, {refresh(j).courier_id for j in west}
    assert len(owners[0]) == 1 and len(owners[1]) == 1 and owners[0] != owners[1]  # one side each
    assert all(refresh(j).status == JobStatus.ASSIGNED and refresh(j).eta is not None for j in east + west)
    assert {d.rule for j in east for d in refresh(j).assignment_decisions.all()} == {
        DecisionRule.STATION_PLAN
    }

    for j in east + west:
        job_unassign(job_id=j.pk, ctx=supervisor.ctx, reason="again")
    again = station_plan(station_id=station.pk, ctx=supervisor.ctx, day=DAY, now=BEFORE_SHIFT, seed=3)
    assert again.diff["routes"] == run.diff["routes"]


def test_a_station_plan_leaves_couriers_who_set_off_alone_and_queues_what_nobody_can_serve(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    c, person = courier
    standing_at(given_to(job_at(station, supervisor.ctx, 1.0, kind="pickup"), c, supervisor.ctx), person.ctx)
    theirs = given_to(job_at(station, supervisor.ctx, 1.5), c, supervisor.ctx)
    new = job_at(station, supervisor.ctx, 1.2)
    impossible = job_at(station, supervisor.ctx, 30.0, window=(at(8, 0), at(8, 10)))

    run = station_plan(station_id=station.pk, ctx=supervisor.ctx, day=DAY, now=at(9, 0))

    assert list(run.diff["routes"]) == [str(other_courier[0].pk)]
    assert refresh(theirs).courier_id == c.pk and refresh(theirs).version == theirs.version
    assert refresh(new).courier_id == other_courier[0].pk
    assert run.diff["unassigned"] == [impossible.pk]
    assert refresh(impossible).status == JobStatus.PENDING
    assert DispatchAlert.objects.get(job=impossible).kind == AlertKind.UNASSIGNABLE


def test_after_the_shift_end_a_replan_keeps_the_order_and_flags_every_stop(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    jobs = line_east(station, supervisor, courier[0], [2.0, 1.0])
    planned(jobs, [0, 1], supervisor.ctx)

    run = courier_replan(courier_id=courier[0].pk, trigger="evening", now=at(21, 0))

    assert (run.diff["sequence"], run.diff["at_risk"], run.reordered) == (
        [j.pk for j in jobs],
        [j.pk for j in jobs],
        False,
    )
    assert DispatchAlert.objects.filter(kind=AlertKind.AT_RISK, resolved_at__isnull=True).count() == 2
