"""Closing or re-checking the live sockets of a revoked token or of a person whose access changed.

Every websocket opened with a device token also joins its token's group. Revoking the token rings
that group after commit, and each of its sockets closes at once (4401). The ring is only the fast
path: a socket also re-checks its token before every command and on every heartbeat, so a lost
ring (Channels delivers at most once) leaves a revoked socket open one heartbeat at most, and
never lets it act.

Every socket that speaks for a person (the courier and station feeds) also joins that person's
group. A service that changes what the person may see (a station manager's station revoked, a
supervisor or courier moved to another station or deleted, a user deactivated or no longer a
superuser) rings it after commit; each socket then reads the person's access afresh and closes
(4403 when the feed is no longer theirs, 4401 when they can no longer sign in) or carries on with
the new access (docs/realtime.md, "Access withdrawn"). The same re-read runs before every command
and on every heartbeat, so a lost ring costs one heartbeat at most.

A console page's socket, opened with the browser's login session instead of a token, joins its
session's group: logging out rings it and the socket closes (4401); the re-read also checks that
the session still exists, so an expired or flushed session ends its sockets within a heartbeat.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

from channels.layers import get_channel_layer
from django.db import transaction

from backend.common.layer_loop import run_send

log = logging.getLogger(__name__)

REVOKED_MESSAGE = {"type": "token.revoked"}
ACCESS_CHANGED_MESSAGE = {"type": "access.changed"}
SESSION_ENDED_MESSAGE = {"type": "session.ended"}


def token_group(token_id: int) -> str:
    return f"token.{token_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(session_key: str) -> str:
    """A digest, not the key: group names are stored in the channel layer (Redis), and the session
    key is a credential."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def close_session_sockets(session_key: str) -> None:
    """Tell every socket opened with this login session that it ended (the person logged out)."""
    _ring([session_group(session_key)], SESSION_ENDED_MESSAGE)


def close_sockets_on_commit(token_ids: list[int]) -> None:
    """After the revocation commits, tell every socket of these tokens to close."""
    if token_ids:
        groups = [token_group(i) for i in token_ids]
        transaction.on_commit(lambda: _ring(groups, REVOKED_MESSAGE))


def recheck_sockets_on_commit(user_ids: Iterable[int]) -> None:
    """After the change commits, tell every socket of these people to re-read their access.

    Call it from inside the transaction that changes the access: before the commit a socket would
    read the old access and carry on.
    """
    groups = [user_group(i) for i in sorted(set(user_ids))]
    if groups:
        transaction.on_commit(lambda: _ring(groups, ACCESS_CHANGED_MESSAGE))


def _ring(groups: list[str], message: dict[str, str]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        for group in groups:
            try:
                await layer.group_send(group, dict(message))
            except Exception:  # the heartbeat's re-check closes the socket anyway
                log.exception("could not ring the sockets of %s", group)

    run_send(layer, send_all)
