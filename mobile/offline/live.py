"""The live channel: a websocket to the courier feed that rings the core's doorbell. Plain Python.

A push is only a doorbell: every feed message makes the core pull now (``on_change``); nothing is
applied from the message itself, because the sync pull is the truth and already applies changes
and tells the courier what was assigned or taken away. Without this channel the core learns of a
new job at the next 15-s poll; with it, within a round trip.

The loop runs in its own thread (never the UI thread), reconnects with exponential backoff and
full jitter after any failure, and stops for good on 4401/4403 (token revoked, not your feed),
telling the core through ``on_revoked(close_code, error_code)``. Protocol: docs/realtime.md.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

log = logging.getLogger(__name__)

STOP_CODES = (4401, 4403, 4404)  # log in again / not yours / no such feed: retrying cannot help
FRESH_START_CODES = (
    4400,
    4410,
)  # our cursor is refused or too old: reconnect without it (the pull catches up)


def feed_url(server_url: str, token: str, cursor: int | None) -> str:
    parts = urlsplit(server_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    query = {"token": token, **({"cursor": str(cursor)} if cursor is not None else {})}
    return f"{scheme}://{parts.netloc}/ws/courier/?{urlencode(query)}"


class LiveChannel:
    def __init__(
        self,
        server_url: str,
        *,
        token: Callable[[], str],
        on_change: Callable[[], None],
        on_revoked: Callable[[int, str], None],
        base_delay_s: float = 0.5,
        max_delay_s: float = 60.0,
        ping_interval_s: float = 20.0,
        ping_timeout_s: float = 20.0,
        rng: random.Random | None = None,
    ) -> None:
        self.server_url = server_url
        self.token = token  # read at every connect: the core may have refreshed it meanwhile
        self.on_change = on_change
        self.on_revoked = on_revoked
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.ping_interval_s = ping_interval_s
        self.ping_timeout_s = ping_timeout_s
        self.rng = rng or random.Random()
        self.cursor: int | None = None  # the largest cursor heard; the reconnect resumes after it
        self.connected = threading.Event()  # set between session.ready and the socket's end
        self.connects = 0
        self.stopped_by: int | None = None  # the close code that ended the loop for good
        self._stop = threading.Event()
        self._ws: ClientConnection | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="live", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            ws = self._ws
        if ws is not None:
            ws.close()  # wakes the blocked recv() in the live thread
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def delay(self, attempt: int) -> float:
        """Full jitter, as the sync engine: uniform in [0, min(cap, base·2^attempt)]."""
        return self.rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2**attempt))

    def _loop(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            token = self.token()
            if not token:  # offline session or logged out: nothing to authenticate with yet
                self._stop.wait(self.delay(attempt) or self.base_delay_s)
                attempt += 1
                continue
            code, error = self._session(token)
            if code in STOP_CODES:
                if self.token() != token and code == 4401:
                    attempt = 0  # the core refreshed the token while we used the old one: try the new one
                    continue
                self.stopped_by = code
                self.on_revoked(code, error)
                return
            if code in FRESH_START_CODES:
                self.cursor = None
            attempt = 0 if self.connected.is_set() else attempt + 1
            self.connected.clear()
            if not self._stop.is_set():
                self._stop.wait(self.delay(attempt))

    def _session(self, token: str) -> tuple[int | None, str]:
        """One socket's life; returns the close code (None: network failure) and the server's error code."""
        error_code, close_code = "", None
        try:
            with connect(
                feed_url(self.server_url, token, self.cursor),
                open_timeout=10,
                ping_interval=None,
                close_timeout=2,
            ) as ws:
                with self._lock:
                    self._ws = ws
                if self._stop.is_set():
                    return None, ""
                self.connects += 1
                # Server pings every interval; silence for interval + timeout means a dead link.
                while True:
                    raw = ws.recv(timeout=self.ping_interval_s + self.ping_timeout_s)
                    error_code, close_code = self._handle(ws, raw) or (error_code, close_code)
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else close_code
            return code, error_code
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            log.info("live channel: %s", exc)
            return None, error_code
        finally:
            with self._lock:
                self._ws = None

    def _handle(self, ws: ClientConnection, raw: str | bytes) -> tuple[str, int | None] | None:
        try:
            message: dict[str, Any] = json.loads(raw)
        except ValueError:
            return None
        kind, cursor = message.get("type"), message.get("cursor")
        if isinstance(cursor, int) and not isinstance(cursor, bool):
            self.cursor = max(self.cursor or 0, cursor)
        if kind == "error":
            payload = message.get("payload") or {}
            details = payload.get("details") or {}
            # daphne drops close reasons, and some stacks the close code too: the error says both.
            return str(payload.get("code", "")), details.get("close_code")
        if kind == "ping":
            ws.send(json.dumps({"type": "pong", "cursor": self.cursor}))
            return None
        if kind == "session.ready":
            self.connected.set()
        # session.ready too: whatever changed while we were away is fetched by one pull.
        self.on_change()
        return None
