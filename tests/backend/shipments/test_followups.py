"""Lifecycle changes ask dispatch for a re-plan / ETA refresh, after commit, only when a broker exists;
inside a unit of work (a sync push) once per task and courier."""

from __future__ import annotations

import pytest
from django.db import transaction
from pytest_django import Settings

from backend.dispatch import tasks
from backend.shipments import services as svc
from backend.shipments.services.followups import refresh_etas_after_commit, replan_after_commit
from backend.shipments.services.unit import unit_of_work
from tests.fixtures.jobs import make_job


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
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    assert sent == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        svc.job_assign(job_id=job.pk, courier_id=other_courier[0].pk, ctx=supervisor.ctx)
        svc.job_start(job_id=job.pk, ctx=other_courier[1].ctx)
        svc.job_arrive(job_id=job.pk, ctx=other_courier[1].ctx)
        svc.job_fail(job_id=job.pk, ctx=other_courier[1].ctx, reason_code="not_home")
    a, b = courier[0].pk, other_courier[0].pk
    assert [c for c in sent if c[0] == "replan" or c[0] == "etas"] == [
        ("replan", (a, "job assigned")),
        ("replan", (b, "job assigned")),
        ("replan", (a, "job reassigned away")),
        ("etas", (b,)),
        ("replan", (b, "failed attempt")),
    ]


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
