"""Two (or more) transactions racing for the same job on real PostgreSQL: exactly one wins."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from backend.common.errors import DomainError
from backend.shipments import services as svc
from backend.shipments.models import FeedEntry, Job, TrackingEvent
from tests.fixtures.jobs import make_job

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _at_station_job(station, supervisor):
    job = make_job(station, supervisor.ctx)
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    return job


def _race(n: int, action: Callable[[int], object]) -> tuple[list[object], list[DomainError]]:
    barrier = threading.Barrier(n)
    wins: list[object] = []
    losses: list[DomainError] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            result = action(i)
            with lock:
                wins.append(result)
        except DomainError as exc:
            with lock:
                losses.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return wins, losses


def test_two_concurrent_accepts_one_wins_one_conflicts(station, supervisor, courier) -> None:
    job = make_job(station, supervisor.ctx)
    job = svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    events_before = TrackingEvent.objects.count()
    wins, losses = _race(
        2, lambda i: svc.job_accept(job_id=job.pk, ctx=courier[1].ctx, expected_version=job.version)
    )
    assert len(wins) == 1 and len(losses) == 1
    assert losses[0].code == "version_conflict"
    assert Job.objects.get(pk=job.pk).version == job.version + 1
    assert TrackingEvent.objects.count() == events_before + 1


def test_supervisor_reassign_races_courier_start(station, supervisor, courier, other_courier) -> None:
    job = _at_station_job(station, supervisor)
    job = svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    actions = [
        lambda: svc.job_start(job_id=job.pk, ctx=courier[1].ctx, expected_version=job.version),
        lambda: svc.job_assign(
            job_id=job.pk, courier_id=other_courier[0].pk, ctx=supervisor.ctx, expected_version=job.version
        ),
    ]
    wins, losses = _race(2, lambda i: actions[i]())
    assert len(wins) == 1 and len(losses) == 1
    final = Job.objects.get(pk=job.pk)
    if final.status == "started":  # the courier got there first: the supervisor's edit is stale
        assert final.courier_id == courier[0].pk and losses[0].code == "version_conflict"
    else:  # the reassignment won: the job is no longer the courier's to start
        assert final.courier_id == other_courier[0].pk and losses[0].code == "not_assigned_to_you"


def test_many_threads_one_winner_and_a_gapless_feed(station, supervisor, courier) -> None:
    job = _at_station_job(station, supervisor)
    job = svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    wins, losses = _race(8, lambda i: svc.job_start(job_id=job.pk, ctx=courier[1].ctx))
    assert len(wins) == 1 and len(losses) == 7
    assert {e.code for e in losses} == {"invalid_transition"}
    cursors = list(FeedEntry.objects.order_by("cursor").values_list("cursor", flat=True))
    assert cursors == list(range(1, len(cursors) + 1))
