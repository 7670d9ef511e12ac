"""negotiation_expire: after the deadline the default applies, once; before it, nothing happens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.negotiation.models import Consent, NegotiationEvent
from backend.negotiation.services import negotiation_expire
from backend.shipments.models import Job
from tests.backend.negotiation.conftest import NOW, offer

pytestmark = pytest.mark.django_db


def test_it_applies_the_default_after_the_deadline_and_is_safe_to_run_twice(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    late = NOW + timedelta(hours=2)
    for _ in range(2):
        done = negotiation_expire(negotiation_id=n.pk, now=late)
    assert (done.state, done.chosen_key, done.closed_at) == ("expired", "w1", late)
    assert Job.objects.get(pk=job.pk).window_start == NOW.replace(hour=14)
    assert Consent.objects.count() == 0  # silence is not consent
    assert list(NegotiationEvent.objects.filter(negotiation=n).values_list("kind", flat=True)) == [
        "offered",
        "expired",
    ]


def test_it_does_nothing_before_the_deadline(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    assert negotiation_expire(negotiation_id=n.pk, now=NOW + timedelta(minutes=119)).state == "offered"


def test_the_beat_task_expires_every_due_negotiation_once(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    import time_machine

    from backend.negotiation import tasks

    n = offer(job, supervisor.ctx)
    with time_machine.travel(NOW + timedelta(hours=2, minutes=1), tick=False):
        assert (tasks.expire_due(), tasks.expire_due()) == (1, 0)
    n.refresh_from_db()
    assert (n.state, n.chosen_key) == ("expired", "w1")
