"""negotiation_answer: the consent record, the effect on the job through the shipments services,
the re-plan asked after commit, and a second answer that sees the first one's result."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from backend.common.errors import DomainError
from backend.dispatch import tasks
from backend.dispatch.models import ReplanState
from backend.negotiation import pickup_codes
from backend.negotiation.models import Consent, PickupHold
from backend.negotiation.services import negotiation_answer, negotiation_cancel
from backend.shipments.context import Ctx
from backend.shipments.models import FeedEntry, Job
from tests.backend.negotiation.conftest import NOW, offer

pytestmark = pytest.mark.django_db


def answer(n, key="w1", **kw):  # type: ignore[no-untyped-def]
    args = {
        "negotiation_id": n.pk,
        "option_key": key,
        "channel": "link",
        "language": "zh",
        "ctx": Ctx.system(),
        "link_id": "L1",
        "now": NOW + timedelta(minutes=5),
    }
    args.update(kw)
    return negotiation_answer(**args)


def test_a_window_answer_records_what_was_shown_and_reopens_the_job(job, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    result = answer(n)
    assert result.won
    c = Consent.objects.get()
    assert (c.option_key, c.option_kind, c.language, c.shown_text, c.channel, c.link_id) == (
        "w1",
        "window",
        "zh",
        "今天 14:00–15:00",
        "link",
        "L1",
    )
    assert (c.window_start, c.window_end, c.answered_at) == (
        NOW.replace(hour=14),
        NOW.replace(hour=15),
        NOW + timedelta(minutes=5),
    )
    n.refresh_from_db()
    assert (n.state, n.chosen_key) == ("answered", "w1")
    j = Job.objects.get(pk=job.pk)
    assert (j.status, j.courier_id, j.window_start, j.window_end) == (
        "assigned",
        courier[0].pk,
        NOW.replace(hour=14),
        NOW.replace(hour=15),
    )
    assert j.next_step["kind"] == "new_window" and j.next_step["negotiation_id"] == n.pk
    kinds = list(FeedEntry.objects.filter(job_id=job.pk).order_by("cursor").values_list("kind", flat=True))
    assert kinds[-2:] == ["job.updated", "negotiation.updated"]


def test_a_station_answer_writes_the_consent_and_its_hold_on_the_job_never_the_code(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    result = answer(n, "st", language="en")
    j = Job.objects.get(pk=job.pk)
    hold = PickupHold.objects.get()
    assert j.next_step == {
        "kind": "hold_station",
        "negotiation_id": n.pk,
        "consent_id": result.consent.pk,
        "pickup_hold_id": hold.pk,
    }
    # The parcel waits for its customer at the counter: it is not put back on a route.
    assert j.status == "failed"
    assert result.consent.shown_text == "Collect at the station"
    code = pickup_codes.code_of(hold.secret)
    assert len(code) == 6 and code.isdigit()
    feeds = json.dumps(list(FeedEntry.objects.values_list("payload", flat=True)))
    assert f'"{code}"' not in feeds and hold.secret not in feeds


def test_a_return_answer_waits_for_a_supervisor(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    answer(offer(job, supervisor.ctx), "ret")
    j = Job.objects.get(pk=job.pk)
    assert (j.status, j.next_step["kind"], j.next_step["confirmed"]) == ("failed", "return", False)


def test_a_second_answer_sees_the_first_result(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    first = answer(n, "w1")
    second = answer(n, "st")
    assert (first.won, second.won) == (True, False)
    assert second.consent.pk == first.consent.pk and second.negotiation.chosen_key == "w1"
    assert Consent.objects.count() == 1


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"key": "zz"}, "option_unknown"),
        ({"now": NOW + timedelta(hours=2)}, "negotiation_expired"),
        ({"channel": "pigeon"}, "invalid"),
        ({"channel": "default"}, "invalid"),
        ({"language": "fr"}, "invalid"),
    ],
)
def test_it_refuses_bad_answers(job, supervisor, kw, code) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    with pytest.raises(DomainError) as err:
        answer(n, **kw)
    assert err.value.code == code
    assert Consent.objects.count() == 0


def test_superseded_and_cancelled_negotiations_cannot_be_answered(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    old = offer(job, supervisor.ctx)
    new = offer(job, supervisor.ctx)
    negotiation_cancel(negotiation_id=new.pk, ctx=supervisor.ctx, reason="wrong options", now=NOW)
    for n in (old, new):
        with pytest.raises(DomainError) as err:
            answer(n)
        assert err.value.code == "negotiation_closed"


def test_an_answer_asks_for_a_replan_of_the_courier_after_commit(  # type: ignore[no-untyped-def]
    settings, monkeypatch, job, supervisor, courier, django_capture_on_commit_callbacks
) -> None:
    n = offer(job, supervisor.ctx)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent: list[tuple[object, ...]] = []
    # Follow-ups send the task by name (a signature): its apply_async is what gets called.
    monkeypatch.setattr(tasks.replan_courier, "apply_async", lambda a, *_, **__: sent.append(tuple(a)))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer(n)
    assert sent == []
    with django_capture_on_commit_callbacks(execute=True):  # the commit: the callbacks, and theirs
        for callback in callbacks:
            callback()
    # Urgent: re-planned at once, not after the 20 s debounce (the answer reaches the route in a second).
    state = ReplanState.objects.get(courier=courier[0])
    assert state.due_at is not None and state.due_at <= timezone.now()
    assert sent == [(courier[0].pk, "customer agreement", state.generation)]


def test_a_redirect_answer_needs_the_new_address_and_writes_it_on_the_job(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    from backend.negotiation.services import OptionInput

    redirect = OptionInput(key="r", kind="redirect", text={"zh": "改地址", "en": "Another address"})
    keep = OptionInput(key="k", kind="keep", text={"zh": "再送", "en": "Again"})
    n = offer(job, supervisor.ctx, options=[redirect, keep], default_key="k")
    with pytest.raises(DomainError) as err:
        answer(n, "r")
    assert err.value.code == "invalid"
    result = answer(n, "r", address="杭州市西湖区文一路99号", lat=30.29, lng=120.12)
    assert result.consent.details == {
        "address": "杭州市西湖区文一路99号",
        "lat": 30.29,
        "lng": 120.12,
        "located": "customer",
        "inside_area": True,
        "distance_m": 1469,
    }
    j = Job.objects.get(pk=job.pk)
    assert (j.next_step["address"], j.address) == ("杭州市西湖区文一路99号", "杭州市西湖区文一路99号")
