"""job_set_plan: a route position and ETA on a job, announced in the feed, with no tracking event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.shipments.models import FeedEntry, Job, TrackingEvent
from backend.shipments.services import job_cancel
from backend.shipments.services.planning import job_set_plan
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

ETA = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)


@pytest.mark.django_db
def test_it_sets_the_plan_bumps_the_plan_revision_not_the_version_and_appends_one_feed_row(
    station: Station, supervisor: Person, courier: tuple[Courier, Person], make_jobs: Callable[..., list[Job]]
) -> None:
    c, _ = courier
    job = make_jobs(station, supervisor.ctx, 1, courier=c)[0]
    events, feed = TrackingEvent.objects.count(), FeedEntry.objects.count()

    with_plan = job_set_plan(job_id=job.pk, planned_seq=3, eta=ETA, ctx=supervisor.ctx)

    stored = Job.objects.get(pk=job.pk)
    # The version is a person's concurrency token: a plan leaves it alone (docs/api.md).
    assert (stored.planned_seq, stored.eta, stored.version) == (3, ETA, job.version)
    assert (with_plan.plan_revision, stored.plan_revision) == (job.plan_revision + 1,) * 2
    assert TrackingEvent.objects.count() == events
    entry = FeedEntry.objects.get(job=job, kind="job.planned")
    assert FeedEntry.objects.count() == feed + 1
    assert entry.courier_id == c.pk
    assert entry.payload["job"]["planned_seq"] == 3 and entry.payload["job"]["eta"] == ETA.isoformat()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"planned_seq": -1}, "invalid"),
        ({"eta": datetime(2026, 11, 24, 10, 0)}, "invalid"),  # noqa: DTZ001
        ({"expected_version": 99}, "version_conflict"),
        ({"expected_plan_revision": 99}, "version_conflict"),  # another plan rewrote it meanwhile
    ],
)
def test_it_refuses_bad_plans(
    station: Station, supervisor: Person, kwargs: dict[str, object], code: str
) -> None:
    job = make_job(station, supervisor.ctx)
    args: dict[str, object] = {"job_id": job.pk, "planned_seq": 1, "eta": ETA, "ctx": supervisor.ctx} | kwargs
    with pytest.raises(DomainError) as exc:
        job_set_plan(**args)  # type: ignore[arg-type]
    assert exc.value.code == code
    stored = Job.objects.get(pk=job.pk)
    assert (stored.version, stored.plan_revision) == (job.version, job.plan_revision)


@pytest.mark.django_db
def test_couriers_and_other_stations_cannot_plan(
    station: Station, supervisor: Person, other_supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx)
    for ctx, code in [(courier[1].ctx, "wrong_role"), (other_supervisor.ctx, "permission_denied")]:
        with pytest.raises(DomainError) as exc:
            job_set_plan(job_id=job.pk, planned_seq=1, eta=ETA, ctx=ctx)
        assert exc.value.code == code


@pytest.mark.django_db
def test_a_closed_job_cannot_be_planned(station: Station, supervisor: Person) -> None:
    job = make_job(station, supervisor.ctx)
    job_cancel(job_id=job.pk, ctx=supervisor.ctx, reason="duplicate order")
    with pytest.raises(DomainError) as exc:
        job_set_plan(job_id=job.pk, planned_seq=1, eta=ETA, ctx=supervisor.ctx)
    assert exc.value.code == "invalid_transition"
