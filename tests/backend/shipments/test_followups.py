"""Lifecycle changes ask dispatch for a re-plan / ETA refresh, after commit, only when a broker exists;
inside a unit of work (a sync push) once per task and courier; ETA refreshes coalesced per courier."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pytest_django import Settings

from backend.dispatch import tasks
from backend.dispatch.models import ReplanState
from backend.shipments import services as svc
from backend.shipments.services import followups
from backend.shipments.services.followups import (
    eta_refresh_countdown,
    refresh_etas_after_commit,
    replan_after_commit,
)
from backend.shipments.services.unit import unit_of_work
from tests.fixtures.jobs import make_job


@pytest.fixture(autouse=True)
def no_open_eta_windows() -> None:
    cache.clear()  # the windows of earlier tests' couriers (the ids here are fixed)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[object, ...]]]:
    calls: list[tuple[str, tuple[object, ...]]] = []
    # The broker round trip itself is covered by the real-worker test in tests/backend/dispatch.
    monkeypatch.setattr(
        tasks.replan_courier, "apply_async", lambda a, *_, **__: calls.append(("replan", tuple(a)))
    )
    monkeypatch.setattr(
        tasks.refresh_etas, "apply_async", lambda a, *_, **__: calls.append(("etas", tuple(a)))
    )
    return calls


def test_failed_attempt_and_reassignment_ask_for_replans_after_commit(
    settings, sent, station, supervisor, courier, other_courier, django_capture_on_commit_callbacks
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    job = make_job(station, supervisor.ctx)
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    a, b = courier[0].pk, other_courier[0].pk
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        svc.job_assign(job_id=job.pk, courier_id=a, ctx=supervisor.ctx)
    assert sent == []  # nothing leaves before the commit
    assert not ReplanState.objects.filter(courier_id=a).exists()
    with django_capture_on_commit_callbacks(execute=True):  # the commit: the callbacks, and theirs
        for callback in callbacks:
            callback()
    with django_capture_on_commit_callbacks(execute=True):
        svc.job_assign(job_id=job.pk, courier_id=b, ctx=supervisor.ctx)
        svc.job_start(job_id=job.pk, ctx=other_courier[1].ctx)
        svc.job_arrive(job_id=job.pk, ctx=other_courier[1].ctx)
        svc.job_fail(job_id=job.pk, ctx=other_courier[1].ctx, reason_code="not_home")
    # Each courier's window opened where the change committed: only its run goes to the worker;
    # the later triggers joined the open windows.
    assert sorted(c for c in sent if c[0] == "replan" or c[0] == "etas") == [
        ("etas", (b,)),
        ("replan", (a, "job assigned", 1)),
        ("replan", (b, "job assigned", 1)),
    ]
    assert ReplanState.objects.get(courier_id=a).triggers == ["job assigned", "job reassigned away"]
    assert ReplanState.objects.get(courier_id=b).triggers == ["job assigned", "failed attempt"]


def test_nothing_is_sent_without_a_broker(
    settings,
    sent,
    station,
    supervisor,
    courier,
    django_capture_on_commit_callbacks,
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    job = make_job(station, supervisor.ctx)
    with django_capture_on_commit_callbacks(execute=True):
        svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    assert sent == []


@pytest.fixture
def sent_tx(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[object, ...]]]:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    calls: list[tuple[str, tuple[object, ...]]] = []
    monkeypatch.setattr(
        tasks.replan_courier, "apply_async", lambda a, *_, **__: calls.append(("replan", tuple(a)))
    )
    monkeypatch.setattr(
        tasks.refresh_etas, "apply_async", lambda a, *_, **__: calls.append(("etas", tuple(a)))
    )
    return calls


@pytest.mark.django_db(transaction=True)
def test_one_followup_per_task_and_courier_per_unit_of_work(
    sent_tx: list[tuple[str, tuple[object, ...]]],
) -> None:
    with transaction.atomic(), unit_of_work():
        for _ in range(3):
            refresh_etas_after_commit(7)
            replan_after_commit(7, "failed attempt")
        refresh_etas_after_commit(8)
        assert sent_tx == []  # nothing before the commit
    assert sorted(sent_tx) == [("etas", (7,)), ("etas", (8,)), ("replan", (7, "failed attempt"))]


@pytest.mark.django_db(transaction=True)
def test_a_followup_of_a_rolled_back_savepoint_is_asked_again(
    sent_tx: list[tuple[str, tuple[object, ...]]],
) -> None:
    with transaction.atomic(), unit_of_work():
        try:
            with transaction.atomic(), unit_of_work():
                refresh_etas_after_commit(7)
                raise RuntimeError("the op failed")
        except RuntimeError:
            pass
        refresh_etas_after_commit(7)
    assert sent_tx == [("etas", (7,))]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_sends_nothing(sent_tx: list[tuple[str, tuple[object, ...]]]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic(), unit_of_work():
        replan_after_commit(7, "job assigned")
        raise RuntimeError
    assert sent_tx == []


def test_a_couriers_eta_refreshes_are_coalesced_in_windows(
    time_machine: time_machine.TimeMachineFixture,
) -> None:
    time_machine.move_to("2026-11-24T10:00:00+08:00", tick=False)
    assert eta_refresh_countdown(41, 2) == 0  # the first progress: at once
    assert eta_refresh_countdown(41, 2) == 3  # the next: one refresh after the window
    assert eta_refresh_countdown(41, 2) is None  # that refresh will read this one too
    assert eta_refresh_countdown(42, 2) == 0  # another courier has a window of their own
    time_machine.shift(2.5)  # both windows are over
    assert eta_refresh_countdown(41, 2) == 0
    assert eta_refresh_countdown(41, 0) == 0  # window 0: every progress sends, as before


def test_an_unreachable_cache_sends_every_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: object, **kwargs: object) -> bool:
        raise ConnectionError("redis is down")

    monkeypatch.setattr(followups.cache, "add", down)
    assert [eta_refresh_countdown(43, 2) for _ in range(3)] == [0, 0, 0]


@hsettings(max_examples=40, deadline=None)
@given(gaps_ms=st.lists(st.integers(min_value=0, max_value=4000), min_size=1, max_size=25))
def test_every_skipped_change_is_read_by_a_refresh_that_runs_after_it(gaps_ms: list[int]) -> None:
    """Whatever the spacing of a courier's changes, each one skipped has a queued refresh due after
    it, and no window sends more than two."""
    cache.clear()
    with time_machine.travel("2026-11-24T10:00:00+08:00", tick=False) as clock:
        now = 0  # ms from the start: whole milliseconds, so the cache's clock and ours agree exactly
        sent_at: list[int] = []  # when each refresh was asked for
        due: list[int] = []  # when it runs
        for gap in gaps_ms:
            clock.shift(timedelta(milliseconds=gap))
            now += gap
            countdown = eta_refresh_countdown(44, 2)
            if countdown is None:
                assert any(d > now for d in due), (now, due)
            else:
                sent_at.append(now)
                due.append(now + countdown * 1000)
        assert all(sum(1 for s in sent_at if t <= s < t + 2000) <= 2 for t in sent_at)
