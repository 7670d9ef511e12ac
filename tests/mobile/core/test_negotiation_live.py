"""The customer's answer reaches the courier's handheld through the live channel (real daphne, Redis).

The sync poll is set to a minute, so a banner that changes within a second came through the
courier feed's doorbell and the pull it rang.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from backend.negotiation.services import OptionInput, negotiation_answer, negotiation_offer
from backend.shipments.context import Ctx
from bench.asgi_workers import Worker
from tests.e2e.test_core_against_server import server  # noqa: F401  (the daphne fixture)
from tests.mobile.core.helpers import make_world
from tests.mobile.offline.test_live import cores, live_core, wait_for  # noqa: F401  (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PASSWORD = "courier-pass-1"


def test_an_answer_shows_on_the_job_within_a_second(
    server: Worker,  # noqa: F811
    tmp_path: Path,
    cores: list,  # noqa: F811
) -> None:
    world = make_world(deliveries=1)
    (job,) = world["deliveries"]
    core = live_core(tmp_path / "phone", server.http, cores)
    core.login(world["courier"].employee_no, PASSWORD)
    core.start_background()
    assert core.live is not None and core.live.connected.wait(10)
    assert wait_for(lambda: core.engine is not None and core.engine.last_sync_at is not None, 5)

    start = (timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
    n = negotiation_offer(
        job_id=job.pk,
        ctx=world["boss"].ctx,
        trigger="morning",
        options=[
            OptionInput("w1", "window", {"zh": "稍后", "en": "Later"}, start, start + timedelta(hours=1)),
            OptionInput("keep", "keep", {"zh": "按原计划派送", "en": "Keep the planned time"}),
        ],
        default_key="keep",
        deadline=timezone.now() + timedelta(hours=1),
    )
    assert wait_for(lambda: getattr(core.banner(job.pk), "kind", "") == "waiting", 2.0)
    started = time.monotonic()
    negotiation_answer(negotiation_id=n.pk, option_key="w1", channel="link", language="zh", ctx=Ctx.system())
    assert wait_for(lambda: getattr(core.banner(job.pk), "kind", "") == "answered", 1.0)
    elapsed = time.monotonic() - started
    assert core.job(job.pk)["window_start"] is not None  # type: ignore[index]
    print(f"answered → banner on the handheld: {elapsed * 1000:.0f} ms")
