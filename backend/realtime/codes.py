"""Websocket close codes (4000–4999 is the range RFC 6455 leaves to applications).

They mirror the HTTP statuses a REST client would see, so one table serves both. Before closing
with one of these the server sends an ``error`` message saying why (daphne drops close reasons).
"""

from __future__ import annotations

from enum import IntEnum


class Close(IntEnum):
    BAD_REQUEST = 4400  # malformed query string or cursor; do not retry unchanged
    UNAUTHENTICATED = 4401  # no token, unknown/revoked token, bad or expired tracking link
    FORBIDDEN = 4403  # authenticated, but this feed is not yours (or no longer: access withdrawn)
    NOT_FOUND = 4404  # unknown station code or shipment
    HEARTBEAT_TIMEOUT = 4408  # nothing heard from the client within ping interval + timeout
    TOO_MANY_SOCKETS = 4409  # the token holds PARCELRUN_WS_SOCKETS_PER_TOKEN sockets already
    RESYNC_REQUIRED = 4410  # the cursor is too far behind: fetch a fresh snapshot, reconnect with its cursor
    TOO_SLOW = 4429  # the client fell too far behind reading; reconnect with its last cursor


ERROR_CODE: dict[Close, str] = {
    Close.BAD_REQUEST: "bad_request",
    Close.UNAUTHENTICATED: "not_authenticated",
    Close.FORBIDDEN: "permission_denied",
    Close.NOT_FOUND: "not_found",
    Close.HEARTBEAT_TIMEOUT: "heartbeat_timeout",
    Close.TOO_MANY_SOCKETS: "too_many_sockets",
    Close.RESYNC_REQUIRED: "resync_required",
    Close.TOO_SLOW: "too_slow",
}


class Refusal(Exception):
    """Raised while opening a feed; the consumer turns it into an error message and a close code."""

    def __init__(self, close: Close, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.close = close
        self.message = message
        # The ``error`` message's code: the close code's own (``ERROR_CODE``) unless it says more,
        # as ``access_revoked`` does for a 4403 that ends a socket which was allowed when it opened.
        self.code = code or ERROR_CODE[close]
