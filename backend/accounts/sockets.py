"""Closing the live sockets of a revoked token.

Every websocket opened with a device token also joins its token's group. Revoking the token rings
that group after commit, and each of its sockets closes at once (4401). The ring is only the fast
path: a socket also re-checks its token before every command and on every heartbeat, so a lost
ring (Channels delivers at most once) leaves a revoked socket open one heartbeat at most, and
never lets it act.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

REVOKED_MESSAGE = {"type": "token.revoked"}


def token_group(token_id: int) -> str:
    return f"token.{token_id}"


def close_sockets_on_commit(token_ids: list[int]) -> None:
    """After the revocation commits, tell every socket of these tokens to close."""
    if token_ids:
        ids = list(token_ids)
        transaction.on_commit(lambda: _ring(ids))


def _ring(token_ids: list[int]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for token_id in token_ids:
            try:
                await layer.group_send(token_group(token_id), dict(REVOKED_MESSAGE))
            except Exception:  # the heartbeat's re-check closes the socket anyway
                log.exception("could not ring the sockets of token %s", token_id)

    async_to_sync(send_all)()
