"""The pipelined pub/sub layer on a real Redis: ``group_send_many`` rings exactly what
``group_send`` would, across two layer instances (two workers)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from django.conf import settings

from backend.broadcast.layers import PipelinedRedisPubSubChannelLayer
from backend.common.env import channel_prefix_from_url

pytestmark = pytest.mark.redis


def test_group_send_many_reaches_every_member_in_order_and_only_members() -> None:
    async def scenario() -> None:
        prefix = f"t{uuid.uuid4().hex[:8]}"
        sender = PipelinedRedisPubSubChannelLayer(hosts=[settings.REDIS_URL], prefix=prefix)
        receiver = PipelinedRedisPubSubChannelLayer(hosts=[settings.REDIS_URL], prefix=prefix)
        try:
            a, b = await receiver.new_channel(), await receiver.new_channel()
            await receiver.group_add("shipment.1", a)
            await receiver.group_add("shipment.2", a)
            await receiver.group_add("shipment.2", b)
            await asyncio.sleep(0.1)  # the subscription reaches Redis before the publish
            await sender.group_send_many(
                [
                    ("shipment.1", {"type": "feed.message", "n": 1}),
                    ("shipment.3", {"type": "feed.message", "n": 99}),  # nobody listens: nothing arrives
                    ("shipment.2", {"type": "feed.message", "n": 2}),
                ]
            )
            got_a = [await asyncio.wait_for(receiver.receive(a), 2) for _ in range(2)]
            got_b = await asyncio.wait_for(receiver.receive(b), 2)
            assert [m["n"] for m in got_a] == [1, 2]
            assert got_b["n"] == 2
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(receiver.receive(b), 0.3)
        finally:
            await sender.flush()
            await receiver.flush()

    asyncio.run(scenario())


def test_two_redis_databases_on_one_server_do_not_hear_each_other() -> None:
    """Pub/sub ignores the database number, so the settings' prefix carries it: a shifted clock run
    (``REDIS_URL``'s number plus one) once got the main run's courier position on its station feed."""
    base = settings.REDIS_URL.rsplit("/", 1)[0]

    def layer(db: int) -> PipelinedRedisPubSubChannelLayer:
        url = f"{base}/{db}"
        return PipelinedRedisPubSubChannelLayer(hosts=[url], prefix=channel_prefix_from_url(url))

    async def scenario() -> None:
        group = f"station.{uuid.uuid4().int % 10**6}"
        one, same, other = layer(1), layer(1), layer(2)
        try:
            mine, theirs = await same.new_channel(), await other.new_channel()
            await same.group_add(group, mine)
            await other.group_add(group, theirs)
            await asyncio.sleep(0.1)  # the subscriptions reach Redis before the publish
            await one.group_send(group, {"type": "live.message", "n": 1})
            assert (await asyncio.wait_for(same.receive(mine), 2))["n"] == 1
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(other.receive(theirs), 0.3)
        finally:
            for each in (one, same, other):
                await each.flush()

    asyncio.run(scenario())
