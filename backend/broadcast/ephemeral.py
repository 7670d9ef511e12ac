"""Publish messages that are not change-feed rows (courier locations), after commit.

They travel as ``live.message`` so a consumer never mistakes them for a feed doorbell: they carry
``cursor: null``, are not replayed on reconnect, and a lost one is simply superseded by the next.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

from backend.common.layer_loop import run_send

log = logging.getLogger(__name__)


def send_live(messages: list[tuple[str, dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for group, message in messages:
            try:
                await layer.group_send(group, {"type": "live.message", "message": message})
            except Exception:  # a dead Redis must not fail a committed write; the next ping supersedes it
                log.exception("live publish to %s failed", group)

    run_send(layer, send_all)


def publish_live_on_commit(messages: list[tuple[str, dict[str, Any]]]) -> None:
    if messages:
        transaction.on_commit(lambda: send_live(messages))
