"""Wrong pickup codes tried at two counters at once still count one by one (real PostgreSQL):
the hold row is locked, so the limit cannot be outrun by parallel guesses."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from backend.common.errors import DomainError
from backend.negotiation import pickup_codes
from backend.negotiation.models import PickupHold, SupervisorException
from backend.negotiation.services import negotiation_answer, pickup_hand_over
from backend.shipments.context import Ctx
from tests.backend.negotiation.conftest import NOW, failed_job, offer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_wrong_codes_cannot_outrun_the_limit(station, supervisor, courier, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PARCELRUN_PICKUP_CODE_MAX_ATTEMPTS = 3
    with time_machine.travel(NOW, tick=False):
        job = failed_job(station, supervisor, courier)
        n = offer(job, supervisor.ctx)
        negotiation_answer(
            negotiation_id=n.pk, option_key="st", channel="link", language="zh", ctx=Ctx.system(), now=NOW
        )
    code = pickup_codes.code_of(PickupHold.objects.get().secret)
    guess = f"{(int(code) + 7) % 10**6:06d}"
    tries = 6
    barrier = threading.Barrier(tries)
    codes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait()
            pickup_hand_over(
                job_id=job.pk,
                code=guess,
                ctx=supervisor.ctx,
                recipient_name="x",
                now=NOW + timedelta(hours=1),
            )
        except DomainError as exc:
            with lock:
                codes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(tries)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(codes) == ["pickup_code_locked"] * 4 + ["pickup_code_wrong"] * 2
    hold = PickupHold.objects.get()
    assert hold.failed_attempts == 3 and hold.locked_at is not None
    assert SupervisorException.objects.filter(kind="pickup_code_locked").count() == 1
