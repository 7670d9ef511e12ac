"""Sends from synchronous code (a Celery task, a committing thread) on a real Redis: they arrive,
in order, and the process keeps one connection instead of opening one per send."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
import redis
from django.conf import settings

from backend.broadcast.layers import PipelinedRedisPubSubChannelLayer
from backend.common.layer_loop import run_send

pytestmark = pytest.mark.redis


def _connections_received() -> int:
    return int(redis.Redis.from_url(settings.REDIS_URL).info("stats")["total_connections_received"])


def test_sync_sends_arrive_in_order_over_one_connection() -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    sender = PipelinedRedisPubSubChannelLayer(hosts=[settings.REDIS_URL], prefix=prefix)
    receiver = PipelinedRedisPubSubChannelLayer(hosts=[settings.REDIS_URL], prefix=prefix)
    got: list[int] = []

    async def listen(ready: threading.Event, n: int) -> None:
        channel = await receiver.new_channel()
        await receiver.group_add("station.7", channel)
        await asyncio.sleep(0.1)  # the subscription reaches Redis before the first publish
        ready.set()
        for _ in range(n):
            got.append((await asyncio.wait_for(receiver.receive(channel), 5))["n"])
        await receiver.flush()

    ready = threading.Event()
    listener = threading.Thread(target=lambda: asyncio.run(listen(ready, 50)))
    listener.start()
    assert ready.wait(5)

    def send(n: int) -> None:
        async def one() -> None:
            await sender.group_send_many([("station.7", {"type": "feed.message", "n": n})])

        run_send(sender, one)

    send(0)  # the first send opens the process's connection
    before = _connections_received()
    committer = threading.Thread(target=lambda: [send(n) for n in range(1, 50)])  # no event loop above it
    committer.start()
    committer.join(10)
    listener.join(10)
    assert got == list(range(50))
    # One check of the server's count (this test's own client) at most; before, every send
    # opened a connection of its own (49 here).
    assert _connections_received() - before <= 1


def test_a_send_that_hangs_is_dropped_not_raised_into_the_caller(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("backend.common.layer_loop.SEND_TIMEOUT_S", 0.2)

    async def hang() -> None:
        await asyncio.sleep(30)

    run_send(object(), hang)  # returns after the timeout: the change it rings for has committed
    assert "dropped" in caplog.text
