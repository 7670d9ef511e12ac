"""Two taps, two tabs, two devices answering at once on real PostgreSQL: one wins, the other sees it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection

from backend.negotiation.models import Consent, PickupHold
from backend.negotiation.services import AnswerResult, negotiation_answer
from backend.shipments.context import Ctx
from tests.backend.negotiation.conftest import NOW, failed_job, offer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_answers_one_wins_the_others_see_its_result(station, supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=False):
        n = offer(failed_job(station, supervisor, courier), supervisor.ctx)
    keys = ["w1", "st", "w1", "st"]
    barrier = threading.Barrier(len(keys))
    results: list[AnswerResult] = []
    lock = threading.Lock()

    def run(key: str) -> None:
        try:
            barrier.wait()
            r = negotiation_answer(
                negotiation_id=n.pk,
                option_key=key,
                channel="link",
                language="en",
                ctx=Ctx.system(),
                now=NOW + timedelta(minutes=1),
            )
            with lock:
                results.append(r)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(r.won for r in results) == [False, False, False, True]
    winner = next(r for r in results if r.won)
    assert {r.consent.pk for r in results} == {winner.consent.pk}
    assert {r.negotiation.chosen_key for r in results} == {winner.consent.option_key}
    assert Consent.objects.count() == 1
    # Only the winner's effect exists: a hold (and its code) only when the station won.
    assert PickupHold.objects.count() == (1 if winner.consent.option_key == "st" else 0)
    assert isinstance(winner.consent.answered_at, datetime)
