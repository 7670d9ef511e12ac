"""A re-plan trigger that the courier's open window already holds is skipped (debounce.window_covers),
one that it does not hold opens or joins the window in the committing process (only the window's
run goes to the worker), and the window's run still plans the change each trigger was for."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError
from pytest_django import Settings
from time_machine import TimeMachineFixture

from backend.couriers.models import Courier, Station
from backend.dispatch import tasks
from backend.dispatch.models import PlanRun, ReplanState
from backend.dispatch.services import replan_soon, replan_tick
from backend.dispatch.services.debounce import (
    DEBOUNCE_S,
    OVERDUE_S,
    WINDOW_SPREAD,
    Tick,
    window_covers,
    windows_covering,
)
from backend.shipments.services import followups
from backend.shipments.services.followups import replan_after_commit
from tests.backend.dispatch.factories import at, given_to, job_at, refresh
from tests.backend.dispatch.test_replan_task import zigzag
from tests.fixtures.people import Person, make_courier


@pytest.fixture
def sent(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """The re-plan tasks sent to the broker (their arguments), with a broker configured."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(tasks.replan_courier, "apply_async", lambda a, *_, **__: calls.append(tuple(a)))
    return calls


@pytest.mark.django_db
def test_a_trigger_the_open_window_holds_is_not_sent_and_the_run_plans_its_change(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    sent: list[tuple[object, ...]],
    django_capture_on_commit_callbacks: object,
    time_machine: TimeMachineFixture,
) -> None:
    time_machine.move_to(at(10, 0), tick=False)
    c = courier[0]
    zigzag(station, supervisor, c)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert replan_soon(courier_id=c.pk, trigger="job assigned") == Tick.SCHEDULED
    assert sent == [(c.pk, "job assigned", 1)]  # the window's run, due in DEBOUNCE_S

    # Another assignment while the window is open: its trigger would only coalesce, so it stays home.
    new = job_at(station, supervisor.ctx, 2.5)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        given_to(new, c, supervisor.ctx)
    assert sent == [(c.pk, "job assigned", 1)]

    # A trigger of another kind joins the window where it committed (the window records its name),
    # nothing goes to the worker, and from then on it is covered too.
    assert window_covers(c.pk, "failed attempt") is False
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        replan_after_commit(c.pk, "failed attempt")
    assert sent == [(c.pk, "job assigned", 1)]
    assert ReplanState.objects.get(courier=c).triggers == ["job assigned", "failed attempt"]
    assert window_covers(c.pk, "failed attempt") is True

    # The window's run plans the job whose trigger was never sent.
    time_machine.move_to(at(10, 0) + timedelta(seconds=30), tick=False)
    assert replan_tick(courier_id=c.pk, trigger="job assigned", generation=1) == Tick.RAN
    assert refresh(new).planned_seq is not None
    assert PlanRun.objects.get(courier=c).trigger == "job assigned, failed attempt"

    # The window is claimed: the next change opens the next window, whose run is scheduled.
    assert window_covers(c.pk, "job assigned") is False
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        given_to(job_at(station, supervisor.ctx, 3.5), c, supervisor.ctx)
    assert sent[-1] == (c.pk, "job assigned", 2)


@pytest.mark.django_db
def test_an_urgent_trigger_always_pulls_the_run_forward(
    courier: tuple[Courier, Person],
    sent: list[tuple[object, ...]],
    django_capture_on_commit_callbacks: object,
    time_machine: TimeMachineFixture,
) -> None:
    time_machine.move_to(at(10, 0), tick=False)
    c = courier[0]
    replan_soon(courier_id=c.pk, trigger="customer agreement")
    assert window_covers(c.pk, "customer agreement") is True
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        replan_after_commit(c.pk, "customer agreement", urgent=True)  # it pulls the window forward
    state = ReplanState.objects.get(courier=c)
    assert state.generation == 2 and state.due_at == at(10, 0)  # due at once: no run yet to keep a gap from
    assert sent == [(c.pk, "customer agreement", 2)]


@pytest.mark.django_db
def test_an_overdue_window_covers_nothing_and_the_next_trigger_reopens_it(
    courier: tuple[Courier, Person],
    sent: list[tuple[object, ...]],
    django_capture_on_commit_callbacks: object,
    time_machine: TimeMachineFixture,
) -> None:
    """A window whose run never came (its message lost) must not swallow triggers for ever."""
    time_machine.move_to(at(10, 0), tick=False)
    c = courier[0]
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        replan_soon(courier_id=c.pk, trigger="job assigned")
    due = ReplanState.objects.get(courier=c).due_at
    assert due is not None
    time_machine.move_to(due + timedelta(seconds=OVERDUE_S - 1), tick=False)
    assert window_covers(c.pk, "job assigned") is True  # late, but its run may still come
    time_machine.move_to(due + timedelta(seconds=OVERDUE_S + 1), tick=False)
    assert window_covers(c.pk, "job assigned") is False
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        assert replan_soon(courier_id=c.pk, trigger="job assigned") == Tick.SCHEDULED
    state = ReplanState.objects.get(courier=c)
    assert state.generation == 2 and state.due_at is not None and state.due_at > due
    assert sent[-1] == (c.pk, "job assigned", 2)
    assert (
        replan_tick(courier_id=c.pk, trigger="job assigned", generation=1) == Tick.SKIPPED
    )  # lost one, late


@pytest.mark.django_db
def test_a_window_that_cannot_be_read_lets_the_trigger_go(
    courier: tuple[Courier, Person],
    sent: list[tuple[object, ...]],
    django_capture_on_commit_callbacks: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unreadable(asks: object) -> set[tuple[int, str]]:
        raise DatabaseError("connection lost")

    monkeypatch.setattr(followups, "_replan_covered", unreadable)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        replan_after_commit(courier[0].pk, "job assigned")
    assert sent == [(courier[0].pk, "job assigned", 1)]  # the window opened, its run scheduled


@pytest.mark.django_db
def test_a_window_that_cannot_be_opened_here_is_opened_by_the_worker(
    courier: tuple[Courier, Person],
    sent: list[tuple[object, ...]],
    django_capture_on_commit_callbacks: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After the commit nothing may fail the caller: the trigger goes to the worker instead."""

    def unreachable(courier_id: int, trigger: str, urgent: bool) -> None:
        raise DatabaseError("connection lost")

    monkeypatch.setattr(followups, "_replan_open", unreachable)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        replan_after_commit(courier[0].pk, "job assigned")
        replan_after_commit(courier[0].pk, "customer agreement", urgent=True)
    assert sent == [(courier[0].pk, "job assigned"), (courier[0].pk, "customer agreement", None, True)]
    assert not ReplanState.objects.filter(courier=courier[0]).exists()


def test_dispatch_registers_its_hooks_with_the_lifecycle_services() -> None:
    assert followups._replan_covered is windows_covering
    assert followups._replan_open is not None


@pytest.mark.django_db
def test_one_read_checks_every_trigger_of_a_commit(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
    sent: list[tuple[object, ...]],
    django_capture_on_commit_callbacks: object,
    monkeypatch: pytest.MonkeyPatch,
    time_machine: TimeMachineFixture,
) -> None:
    """A reassignment asks for two couriers' re-plans: both windows are read in one statement,
    and only the trigger the open window does not hold is added to it."""
    time_machine.move_to(at(10, 0), tick=False)
    a, b = courier[0], other_courier[0]
    job = job_at(station, supervisor.ctx, 2.5)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        given_to(job, a, supervisor.ctx)
        replan_soon(courier_id=b.pk, trigger="job assigned")  # b's window opens, holding the trigger
    sent.clear()
    assert windows_covering([(a.pk, "job reassigned away"), (b.pk, "job assigned")]) == {
        (b.pk, "job assigned")
    }
    with django_capture_on_commit_callbacks(execute=False) as callbacks:  # type: ignore[operator]
        given_to(job, b, supervisor.ctx)
    replans = [cb for cb in callbacks if isinstance(cb, followups._Replan)]
    assert len(replans) == 2
    reads: list[list[tuple[int, str]]] = []

    def reading(asks: list[tuple[int, str]]) -> set[tuple[int, str]]:
        reads.append(list(asks))
        return windows_covering(asks)

    monkeypatch.setattr(followups, "_replan_covered", reading)
    for replan in replans:
        replan()
    assert reads == [[(b.pk, "job assigned"), (a.pk, "job reassigned away")]]
    assert sent == []  # a's open window took the new trigger's name; b's held it already
    assert ReplanState.objects.get(courier=a).triggers == ["job assigned", "job reassigned away"]


@pytest.mark.django_db
def test_windows_opened_together_fall_due_spread_out_and_within_the_debounce(
    station: Station, sent: list[tuple[object, ...]], time_machine: TimeMachineFixture
) -> None:
    """Forty couriers' windows opened in one instant must not all fall due in one instant (and open
    the next ones together again): a wave of runs would take the worker's core at once."""
    time_machine.move_to(at(10, 0), tick=False)
    couriers = [make_courier(station)[0] for _ in range(40)]
    for c in couriers:
        assert replan_soon(courier_id=c.pk, trigger="job assigned") == Tick.SCHEDULED
    offsets = sorted(
        (state.due_at - at(10, 0)).total_seconds()
        for state in ReplanState.objects.filter(courier__in=couriers)
        if state.due_at is not None
    )
    assert len(offsets) == 40
    assert offsets[0] >= DEBOUNCE_S * (1 - WINDOW_SPREAD) and offsets[-1] <= DEBOUNCE_S
    assert offsets[-1] - offsets[0] >= DEBOUNCE_S * WINDOW_SPREAD / 2  # spread, not one instant
