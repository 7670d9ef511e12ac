"""A deadlock mid-service rolls the whole transaction back and the service runs again, once: in
requests (the service entry) and in Celery tasks (autoretry), never a lost ETA refresh or a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError

from backend.common import transient
from backend.couriers.models import Courier, Station
from backend.dispatch import tasks
from backend.dispatch.models import AssignmentDecision, ReplanState
from backend.dispatch.services import JobVersion, reassign_jobs, reassignment, replan_soon, replan_tick
from backend.dispatch.services import planning as planning_services
from backend.dispatch.services.debounce import Tick
from backend.shipments.models import FeedEntry, Job
from tests.backend.common.test_transient import deadlock
from tests.backend.dispatch.factories import at, given_to, job_at, refresh
from tests.fixtures.people import Person

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = at(9, 0)


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transient.time, "sleep", lambda s: None)


def once_then(real: Callable[..., Any], calls: list[int], times: int = 1) -> Callable[..., Any]:
    def fake(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) <= times:
            raise deadlock()
        return real(*args, **kwargs)

    return fake


def test_a_reassignment_that_loses_a_deadlock_once_is_run_again_whole(
    monkeypatch: pytest.MonkeyPatch,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a, b = courier[0], other_courier[0]
    jobs = [given_to(job_at(station, supervisor.ctx, km), a, supervisor.ctx) for km in (1.0, 2.0, 3.0)]
    before = FeedEntry.objects.count()
    calls: list[int] = []
    # After the jobs' assignments and audit rows are noted: the whole first attempt must vanish.
    monkeypatch.setattr(reassignment, "place_many", once_then(reassignment.place_many, calls))

    moved, _ = reassign_jobs(
        jobs=[JobVersion(j.pk, refresh(j).version) for j in jobs[:2]],
        to_courier_id=b.pk,
        reason="rebalance",
        ctx=supervisor.ctx,
        now=NOW,
    )

    assert [j.courier_id for j in moved] == [b.pk, b.pk]
    assert len(calls) == 2  # one failed, then the receiving route once in the second attempt
    assert AssignmentDecision.objects.filter(job__in=jobs[:2]).count() == 2  # not 3: the first rolled back
    kinds = list(FeedEntry.objects.filter(cursor__gt=before).values_list("kind", flat=True))
    assert kinds.count("job.assigned") == 2
    cursors = sorted(FeedEntry.objects.values_list("cursor", flat=True))
    assert cursors == list(range(cursors[0], cursors[0] + len(cursors)))  # no gap left by the rollback


def test_an_eta_refresh_task_that_keeps_losing_is_retried_by_celery(
    monkeypatch: pytest.MonkeyPatch, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    calls: list[int] = []
    # The service (here without its own retries) loses three times: the task runs four times.
    monkeypatch.setattr(
        planning_services, "courier_refresh_etas", once_then(lambda **kw: (0, False), calls, times=3)
    )

    # Run here, as a worker would: Celery's retries run at once (a retry's apply reads this setting).
    monkeypatch.setitem(tasks.refresh_etas.app.conf, "task_eager_propagates", False)
    tasks.refresh_etas.apply(args=(courier[0].pk,))
    assert len(calls) == 4
    assert tasks.refresh_etas.acks_late and OperationalError in tasks.refresh_etas.autoretry_for


def test_a_scheduled_replan_that_loses_opens_the_next_window_instead_of_vanishing(
    monkeypatch: pytest.MonkeyPatch, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c = courier[0]
    monkeypatch.setattr(tasks.replan_courier, "apply_async", lambda *a, **kw: None)  # schedule nothing
    replan_soon(courier_id=c.pk, trigger="new pickup")
    generation = ReplanState.objects.get(courier=c).generation

    def lost(**kwargs: Any) -> None:
        raise deadlock()

    monkeypatch.setattr(planning_services, "courier_replan", lost)
    assert replan_tick(courier_id=c.pk, trigger="new pickup", generation=generation) == Tick.DEFERRED
    state = ReplanState.objects.get(courier=c)
    assert state.due_at is not None and state.generation == generation + 1
    assert state.triggers == ["new pickup"]
    assert not Job.objects.exists()
