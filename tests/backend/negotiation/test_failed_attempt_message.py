"""A failed attempt's negotiation is sent to the customer once: one message per negotiation, with
the deadline and the link, however often the follow-up task runs."""

from __future__ import annotations

import pytest

from backend.negotiation import tasks
from backend.negotiation.models import Negotiation
from backend.negotiation.services import negotiation_prompt
from backend.notify.models import Message
from tests.backend.negotiation.conftest import SH
from tests.backend.negotiation.test_failed_attempt_trigger import fail

pytestmark = pytest.mark.django_db


def test_the_follow_up_sends_one_message_per_negotiation(frozen, station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = fail(station, supervisor, courier, "not_home")
    pk = tasks.offer_after_failed_attempt(job.pk, 1)
    assert tasks.offer_after_failed_attempt(job.pk, 1) == pk
    n = Negotiation.objects.get(pk=pk)
    m = Message.objects.get()
    assert (m.job_id, m.trigger, m.occasion, m.template, m.language) == (
        job.pk,
        "failed_attempt",
        f"n{pk}",
        "failed_attempt",
        "zh",
    )
    deadline = n.deadline.astimezone(SH).strftime("%H:%M")
    assert m.text.startswith(
        f"【Parcelrun】李*您好，今天未能将包裹送到您手中。请在{deadline}前选择下一步：http"
    )
    assert "13912345678" not in m.text and job.address not in m.text


def test_a_closed_negotiation_is_not_sent(frozen, station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    job = fail(station, supervisor, courier, "not_home")
    pk = tasks.offer_after_failed_attempt(job.pk, 1)
    Message.objects.all().delete()
    Negotiation.objects.filter(pk=pk).update(state="cancelled")
    assert negotiation_prompt(negotiation_id=pk) is None
    assert not Message.objects.exists()
