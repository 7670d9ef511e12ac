"""Debounced re-planning: the service-level rules, then a real Celery worker on Redis and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time as clock
from collections.abc import Iterator
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from time_machine import TimeMachineFixture

from backend.couriers.models import Courier, Station
from backend.couriers.selectors import station_today
from backend.dispatch.models import PlanRun, ReplanState
from backend.dispatch.services import replan_soon, replan_tick, watch_couriers
from backend.dispatch.services.debounce import Tick
from backend.shipments.models import Job
from backend.shipments.services.planning import job_set_plan
from tests.backend.dispatch.factories import at, given_to, job_at, refresh
from tests.celery_worker import ROOT, celery_worker, worker_env
from tests.clock import FIXTURE_DAY, everyone_at, station_tz
from tests.fixtures.people import Person


def zigzag(station: Station, supervisor: Person, courier: Courier, day: object = None) -> list[Job]:
    """Four stops 1–4 km east planned as 4, 1, 3, 2 km: a re-plan that reorders saves ≥ 5 % and ≥ 1 km."""
    kw = {"day": day} if day else {}
    jobs = [
        given_to(job_at(station, supervisor.ctx, km, **kw), courier, supervisor.ctx)  # type: ignore[arg-type]
        for km in (1.0, 2.0, 3.0, 4.0)
    ]
    for seq, i in enumerate([3, 0, 2, 1]):
        job_set_plan(job_id=jobs[i].pk, planned_seq=seq, eta=None, ctx=supervisor.ctx)
    return jobs


@pytest.mark.django_db
def test_triggers_within_the_window_coalesce_and_the_scheduled_run_happens_once(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    django_capture_on_commit_callbacks: object,
    time_machine: TimeMachineFixture,
) -> None:
    # replan_tick plans the station's today: make it the fixture day, 10:00, before the stops.
    time_machine.move_to(at(10, 0), tick=False)
    c = courier[0]
    jobs = zigzag(station, supervisor, c)
    with django_capture_on_commit_callbacks() as sent:  # type: ignore[operator]
        ticks = [
            replan_soon(courier_id=c.pk, trigger=t) for t in ("new pickup", "failed attempt", "new pickup")
        ]
    assert ticks == [Tick.SCHEDULED, Tick.COALESCED, Tick.COALESCED]
    assert len(sent) == 1  # one task sent, after commit
    state = ReplanState.objects.get(courier=c)
    assert (state.generation, state.triggers) == (1, ["new pickup", "failed attempt"])

    assert replan_tick(courier_id=c.pk, trigger="x", generation=0) == Tick.SKIPPED  # an older window
    assert replan_tick(courier_id=c.pk, trigger="x", generation=1) == Tick.RAN
    assert replan_tick(courier_id=c.pk, trigger="x", generation=1) == Tick.SKIPPED  # delivered twice
    run = PlanRun.objects.get(courier=c)
    assert run.trigger == "new pickup, failed attempt"
    assert [refresh(j).planned_seq for j in jobs] == [0, 1, 2, 3]
    assert ReplanState.objects.get(courier=c).due_at is None


@pytest.mark.django_db
def test_the_watch_asks_a_replan_only_for_couriers_falling_behind(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
    django_capture_on_commit_callbacks: object,
) -> None:
    given_to(job_at(station, supervisor.ctx, 2.0, window=(at(9, 0), at(9, 30))), courier[0], supervisor.ctx)
    given_to(job_at(station, supervisor.ctx, 2.0), other_courier[0], supervisor.ctx)
    with django_capture_on_commit_callbacks():  # type: ignore[operator]
        assert watch_couriers(now=at(9, 0)) == 0
        assert watch_couriers(now=at(9, 25)) == 1
    assert list(ReplanState.objects.values_list("courier_id", "triggers")) == [
        (courier[0].pk, ["falling behind"])
    ]


# The worker re-plans from "now": at 23:30 at the station a 00:00-23:59 shift has half an hour left
# and the best route is another one. The worker, the sender and this test all run at 10:00 at the
# station on the fixture day, whatever the real time (the real-time pass once ran at 23:27).
MORNING = datetime.combine(FIXTURE_DAY, time(10, 0), tzinfo=ZoneInfo(station_tz())).astimezone(UTC)


@pytest.fixture
def morning() -> Iterator[dict[str, str]]:
    with everyone_at(MORNING) as env:
        yield env


def _celery_env(clock_env: dict[str, str]) -> dict[str, str]:
    return worker_env(REPLAN_DEBOUNCE_S="2", **clock_env)


# The Celery client side also runs in subprocesses: kombu's Redis transport registers after-fork
# hooks in the process that uses it, and a later fork (the partitioned solver's process pool in
# the same pytest run) then hangs in them.
SEND = (
    "import django; django.setup(); from backend.dispatch.tasks import replan_courier as t; "
    "[t.delay({courier}, f'trigger {{i}}') for i in range(5)]"
)


@pytest.fixture
def worker(morning: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    with celery_worker("replan-test", "--pool=solo", env=_celery_env(morning)) as proc:
        yield proc


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_triggers_gives_one_replan_in_a_real_worker(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    morning: dict[str, str],
    worker: object,
    settings: Any,
) -> None:
    # Setting up the route must not itself ask for re-plans: this test is about the burst below.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    c = courier[0]
    Courier.objects.filter(pk=c.pk).update(shift_start=time(0, 0), shift_end=time(23, 59, 59))
    jobs = zigzag(station, supervisor, c, day=station_today(station))
    started = clock.monotonic()

    subprocess.run(
        [sys.executable, "-c", SEND.format(courier=c.pk)],
        cwd=ROOT,
        env=_celery_env(morning),
        check=True,
        timeout=30,
    )

    # Poll until the window has closed: a run happened and no later window is pending. The solo worker
    # takes the five triggers before the debounced tick, so the run's trigger list and the generation
    # below show every trigger went into this one run: no need to wait on for a second one.
    while not (
        PlanRun.objects.filter(courier=c).exists()
        and ReplanState.objects.filter(courier=c, due_at__isnull=True).exists()
    ):
        assert clock.monotonic() - started < 20, "no re-plan ran within 20 s"
        clock.sleep(0.05)
    run = PlanRun.objects.get(courier=c)
    assert run.trigger == ", ".join(f"trigger {i}" for i in range(5))
    assert (run.outcome, run.reordered) == (PlanRun.Outcome.APPLIED, True)
    assert [refresh(j).planned_seq for j in jobs] == [0, 1, 2, 3]
    etas = [refresh(j).eta for j in jobs]
    assert all(e is not None for e in etas) and etas == sorted(etas)  # type: ignore[type-var]
    assert ReplanState.objects.get(courier=c).generation == 1


@pytest.mark.django_db
def test_an_urgent_trigger_pulls_the_window_forward_but_keeps_a_gap_after_the_last_run(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    django_capture_on_commit_callbacks: object,
    time_machine: TimeMachineFixture,
) -> None:
    from datetime import timedelta

    from backend.dispatch.services.debounce import DEBOUNCE_S, URGENT_GAP_S

    time_machine.move_to(at(10, 0), tick=False)
    c = courier[0]
    zigzag(station, supervisor, c)
    with django_capture_on_commit_callbacks() as sent:  # type: ignore[operator]
        assert replan_soon(courier_id=c.pk, trigger="new pickup") == Tick.SCHEDULED
        assert replan_soon(courier_id=c.pk, trigger="customer agreement", urgent=True) == Tick.SCHEDULED
        # A second answer joins the run that is already due at once.
        assert replan_soon(courier_id=c.pk, trigger="customer agreement", urgent=True) == Tick.COALESCED
    assert len(sent) == 2
    state = ReplanState.objects.get(courier=c)
    assert state.due_at == at(10, 0) and state.generation == 2
    assert state.triggers == ["new pickup", "customer agreement"]
    assert replan_tick(courier_id=c.pk, trigger="x", generation=1) == Tick.SKIPPED  # the 20 s window's task
    assert replan_tick(courier_id=c.pk, trigger="x", generation=2) == Tick.RAN
    assert PlanRun.objects.get(courier=c).trigger == "new pickup, customer agreement"

    # Just after that run, the next answer waits for the gap, not for the whole debounce.
    time_machine.move_to(at(10, 0) + timedelta(seconds=1), tick=False)
    assert replan_soon(courier_id=c.pk, trigger="customer agreement", urgent=True) == Tick.SCHEDULED
    assert ReplanState.objects.get(courier=c).due_at == at(10, 0) + timedelta(seconds=URGENT_GAP_S)
    assert URGENT_GAP_S < DEBOUNCE_S
