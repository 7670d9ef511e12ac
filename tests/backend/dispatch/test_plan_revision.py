"""A background re-plan moves ETAs and order without touching the job's version, and announces a
route in one feed row per courier (issue 16: a supervisor's assign with the version just read got
409 because a re-plan had moved ETAs; ~45 job.planned per new job flooded the station feed)."""

from __future__ import annotations

import json

import pytest

from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.dispatch.services import courier_refresh_etas, courier_replan, job_reassign
from backend.realtime.selectors import FeedRow
from backend.realtime.validation import validate
from backend.shipments.models import FeedEntry, Job
from backend.shipments.services.planning import job_set_plan
from backend.sync.selectors import pull_changes
from tests.backend.api.conftest import Api
from tests.backend.dispatch.factories import at, given_to, job_at, refresh
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db

BEFORE_SHIFT = at(7, 0)


def zigzag(station: Station, supervisor: Person, courier: Courier) -> list[Job]:
    """Stops 1–4 km east planned as 4, 1, 3, 2 km: a re-plan reorders them and moves every ETA."""
    jobs = [
        given_to(job_at(station, supervisor.ctx, km), courier, supervisor.ctx) for km in (1.0, 2.0, 3.0, 4.0)
    ]
    for seq, i in enumerate([3, 0, 2, 1]):
        job_set_plan(job_id=jobs[i].pk, planned_seq=seq, eta=None, ctx=supervisor.ctx)
    return [refresh(j) for j in jobs]


def test_an_assign_with_the_version_read_before_a_replan_succeeds(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    jobs = zigzag(station, supervisor, courier[0])
    seen = {j.pk: (j.version, j.plan_revision) for j in jobs}  # what the supervisor's board shows

    run = courier_replan(courier_id=courier[0].pk, trigger="new pickup", now=BEFORE_SHIFT)

    assert run.jobs_written == 4 and run.reordered
    after = {j.pk: refresh(j) for j in jobs}
    assert all(after[pk].version == v and after[pk].plan_revision > r for pk, (v, r) in seen.items())
    moved = job_reassign(
        job_id=jobs[2].pk,
        to_courier_id=other_courier[0].pk,
        reason="rebalance",
        ctx=supervisor.ctx,
        expected_version=seen[jobs[2].pk][0],
        now=BEFORE_SHIFT,
    )
    assert moved.job.courier_id == other_courier[0].pk


def test_over_http_the_assign_answers_200_not_409(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    jobs = zigzag(station, supervisor, courier[0])
    version = jobs[0].version
    courier_refresh_etas(courier_id=courier[0].pk, now=BEFORE_SHIFT)  # a background ETA refresh
    assert refresh(jobs[0]).eta is not None

    r = Api().post(
        f"/api/v1/jobs/{jobs[0].pk}/assign",
        {"courier_id": other_courier[0].pk, "version": version, "reason": "rebalance"},
        as_=supervisor,
    )

    assert r.status_code == 200, r.json()


def test_a_replan_writes_one_feed_row_for_the_courier_whatever_it_moves(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    jobs = zigzag(station, supervisor, courier[0])
    before = FeedEntry.objects.order_by("-cursor").values_list("cursor", flat=True).first() or 0

    run = courier_replan(courier_id=courier[0].pk, trigger="new pickup", now=BEFORE_SHIFT)

    rows = list(FeedEntry.objects.filter(cursor__gt=before).order_by("cursor"))
    staff = [r for r in rows if r.courier_id is not None or r.station_id is not None]
    assert [(r.kind, r.courier_id, r.station_id) for r in staff] == [
        ("route.planned", courier[0].pk, station.pk)
    ]
    # The recipients' pages hear of their delivery's new ETA (it appeared here; moves ≥ 5 min later),
    # on rows addressed to the shipment alone: neither the courier's nor the station's feed.
    public = [r for r in rows if r not in staff]
    assert sorted((r.kind, r.shipment_id) for r in public) == sorted(("job.eta", j.shipment_id) for j in jobs)
    rows = staff
    route = rows[0].payload["route"]
    assert sorted(j["id"] for j in route["jobs"]) == sorted(j.pk for j in jobs)
    assert len(route["jobs"]) == run.jobs_written
    by_id = {j["id"]: j for j in route["jobs"]}
    for job in jobs:
        now = refresh(job)
        assert by_id[job.pk]["planned_seq"] == now.planned_seq
        assert (by_id[job.pk]["version"], by_id[job.pk]["plan_revision"]) == (now.version, now.plan_revision)
    validate(json.loads(FeedRow.of(rows[0]).plain_json))  # the catalogue knows it, strictly


def test_a_replan_still_yields_to_a_persons_edit_made_while_it_computed(
    monkeypatch: pytest.MonkeyPatch, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    from backend.dispatch.services import planning

    jobs = zigzag(station, supervisor, courier[0])
    real = planning.load_day

    def edited_meanwhile(*args: object, **kwargs: object) -> object:
        day = real(*args, **kwargs)  # type: ignore[arg-type]
        Job.objects.filter(pk=jobs[0].pk).update(version=jobs[0].version + 1)  # a person's change
        return day

    monkeypatch.setattr(planning, "load_day", edited_meanwhile)
    with pytest.raises(DomainError) as exc:
        courier_replan(courier_id=courier[0].pk, trigger="new pickup", now=BEFORE_SHIFT)
    assert exc.value.code == "version_conflict"


def test_the_handheld_pulls_a_route_as_one_job_change_per_moved_job(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    jobs = zigzag(station, supervisor, courier[0])
    mark = FeedEntry.objects.order_by("-cursor").values_list("cursor", flat=True).first() or 0
    courier_replan(courier_id=courier[0].pk, trigger="new pickup", now=BEFORE_SHIFT)

    page = pull_changes(principal=courier[1].principal, after=mark, limit=100, held_refs={})

    assert [c["op"] for c in page.changes] == ["job"] * 4
    assert {c["job"]["id"]: c["job"]["planned_seq"] for c in page.changes} == {
        j.pk: refresh(j).planned_seq for j in jobs
    }


def test_small_eta_moves_reach_the_courier_and_station_but_not_the_customers(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    zigzag(station, supervisor, courier[0])
    courier_replan(courier_id=courier[0].pk, trigger="first", now=BEFORE_SHIFT)
    mark = FeedEntry.objects.order_by("-cursor").values_list("cursor", flat=True).first() or 0

    # Two minutes later the same order leaves two minutes later: every ETA moves by 120 s.
    written, _ = courier_refresh_etas(courier_id=courier[0].pk, now=at(8, 2))

    assert written == 4
    assert list(FeedEntry.objects.filter(cursor__gt=mark).values_list("kind", flat=True)) == ["route.planned"]
