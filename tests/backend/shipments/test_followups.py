"""Follow-ups to Celery: one per (task, courier) per transaction, asked again after a rolled-back op."""

from __future__ import annotations

import pytest
from django.db import transaction

from backend.dispatch import tasks
from backend.shipments.services.followups import refresh_etas_after_commit, replan_after_commit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(settings: object, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[object, ...]]]:
    settings.CELERY_TASK_ALWAYS_EAGER = False  # type: ignore[attr-defined]
    calls: list[tuple[str, tuple[object, ...]]] = []
    monkeypatch.setattr(tasks.replan_courier, "delay", lambda *a: calls.append(("replan", a)))
    monkeypatch.setattr(tasks.refresh_etas, "delay", lambda *a: calls.append(("etas", a)))
    return calls


def test_one_followup_per_task_and_courier_per_transaction(sent: list[tuple[str, tuple[object, ...]]]) -> None:
    with transaction.atomic():
        for _ in range(3):
            refresh_etas_after_commit(7)
            replan_after_commit(7, "failed attempt")
        refresh_etas_after_commit(8)
        assert sent == []  # nothing before the commit
    assert sorted(sent) == [("etas", (7,)), ("etas", (8,)), ("replan", (7, "failed attempt"))]


def test_a_followup_of_a_rolled_back_savepoint_is_asked_again(sent: list[tuple[str, tuple[object, ...]]]) -> None:
    with transaction.atomic():
        try:
            with transaction.atomic():
                refresh_etas_after_commit(7)
                raise RuntimeError("the op failed")
        except RuntimeError:
            pass
        refresh_etas_after_commit(7)
    assert sent == [("etas", (7,))]


def test_a_rolled_back_transaction_sends_nothing(sent: list[tuple[str, tuple[object, ...]]]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        replan_after_commit(7, "job assigned")
        raise RuntimeError
    assert sent == []
