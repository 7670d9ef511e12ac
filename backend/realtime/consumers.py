"""The three live feeds. Consumers authenticate, subscribe, filter and forward; they write nothing.

Life of a socket (docs/realtime.md has the client's side):

1. accept, authenticate and authorise (``auth.py``); a refusal sends ``error`` then closes 44xx;
2. join the audience's group FIRST, then replay the feed after the client's ``?cursor=`` from the
   database, then send ``session.ready``: a change committed during the replay rings the doorbell
   after we joined, so it cannot fall between the replay and the live phase;
3. live: every ``feed.message`` is a doorbell carrying a cursor; the socket forwards its
   audience's rows after its own position from the process tail (``tail.py``), in cursor order.
   A doorbell at or below the position is ignored, which is the dedupe across the boundary;
4. heartbeat: a ``ping`` every interval (also a catch-up, in case a doorbell was lost); silence
   for interval + timeout closes 4408 (4429 when messages were waiting for it);
5. flow control: a socket stops sending once ``max_unacked`` messages are unacknowledged and
   goes on from its position when the client's ``pong`` makes room (the feed is in the database,
   so nothing waits in the server's buffers); half-way it asks for a ``pong`` with an early
   ``ping``. A client that reads as fast as it can is slowed, never cut;
6. access: a socket of a person joins their token's and their own groups; a revoked token closes it
   4401, a change of the person's access (``accounts.sockets``) makes it re-read that access, as
   every heartbeat and every command does: the feed no longer theirs closes 4403 ``access_revoked``
   (4401 if they can no longer sign in), a feed still theirs carries on with the access they have now.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import deque
from typing import Any, ClassVar

from autobahn.exception import Disconnected
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from backend.broadcast.envelope import envelope
from backend.common.errors import DomainError
from backend.common.metrics import FEED_LAG, OPEN_SOCKETS
from backend.realtime import auth, token_sockets
from backend.realtime.audience import LIVE_TYPES, Audience
from backend.realtime.codes import ERROR_CODE, Close, Refusal
from backend.realtime.commands import execute
from backend.realtime.selectors import Feed, FeedRow, audience_rows_after, feed_head
from backend.realtime.tail import process_tail

log = logging.getLogger(__name__)
PAGE = 500


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


class FeedConsumer(AsyncWebsocketConsumer):
    feed: ClassVar[Feed]

    def open_audience(self, params: dict[str, str]) -> Audience:  # runs in the database thread
        raise NotImplementedError

    async def connect(self) -> None:
        self.audience: Audience | None = None
        self.checked = 0  # every row of the audience at or below this cursor has been sent
        self.closed = False
        self._catch_lock = asyncio.Lock()
        self._sent = 0
        self._acked = 0
        self._unacked: deque[tuple[int, int]] = deque()  # (cursor, messages sent up to it)
        self._ack_asked = False  # an early ping is out and not answered yet
        self._held = False  # rows were held back because the window was full
        self._replaying = False  # the connect replay is bounded by its budget, not by the window
        self._heard_at = time.monotonic()
        self._heartbeat: asyncio.Task[None] | None = None
        self._counted: tuple[int, int] | None = None  # (token, place) of the socket lease held
        self._open_counted = False  # counted in parcelrun_websockets_open
        # Accept first: a close code can only be sent on an open socket (a refused handshake is a bare 403).
        await self.accept()
        try:
            params = auth.query_params(self.scope)
            cursor = auth.parse_cursor(params)
            audience = await database_sync_to_async(self.open_audience)(params)
            if audience.token_id is not None:
                place = await token_sockets.claim(audience.token_id, self.channel_name)
                if place is None:
                    raise Refusal(
                        Close.TOO_MANY_SOCKETS,
                        f"this token already has {token_sockets.cap()} open sockets; close one first",
                    )
                self._counted = (audience.token_id, place)
            for group in audience.groups:  # the feed's first, then those rung to close or re-check it
                await self.channel_layer.group_add(group, self.channel_name)
            self.audience = audience
            OPEN_SOCKETS.labels(feed=self.feed).inc()
            self._open_counted = True
            await process_tail()  # exists before our position is taken, so we never start below its floor
            replayed = await self._start_at(cursor)
        except Refusal as refusal:
            await self.refuse(refusal.close, refusal.message, refusal.code)
            return
        if self.closed:  # the client went away during the replay
            return
        await self.send_envelope("session.ready", self.checked, {"feed": self.feed, "replayed": replayed})
        self._heartbeat = asyncio.create_task(self._beat())

    async def _start_at(self, cursor: int | None) -> int:
        head = await database_sync_to_async(feed_head)()
        if cursor is None:
            self.checked = head
            return 0
        if cursor > head:
            raise Refusal(Close.BAD_REQUEST, f"cursor {cursor} is ahead of the feed ({head})")
        self.checked = cursor
        # The client cannot answer a ping before the replay's end (a consumer handles one message
        # at a time), so the replay is bounded by its budget, not held back by the window.
        self._replaying = True
        try:
            return await self._read_db(budget=int(_setting("PARCELRUN_WS_REPLAY_MAX", 5000)))
        finally:
            self._replaying = False

    async def _read_db(self, budget: int | None = None) -> int:
        assert self.audience is not None
        sent = 0
        while not self.closed:
            rows, checked = await database_sync_to_async(audience_rows_after)(
                feed=self.feed, target_id=self.audience.target_id, after=self.checked, limit=PAGE
            )
            if budget is not None and sent + len(rows) > budget:
                raise Refusal(
                    Close.RESYNC_REQUIRED, f"more than {budget} changes missed: fetch a fresh snapshot"
                )
            for row in rows:
                if not await self.push(row):
                    return sent  # window full: ``checked`` stays at the last row sent
                self.checked = row.cursor
                sent += 1
            self.checked = max(self.checked, checked)
            if len(rows) < PAGE:
                break
        return sent

    async def catch_up(self, hint: int | None) -> None:
        """Send the audience's rows after our position, up to ``hint`` at least (None: what is committed)."""
        if self.audience is None or self.closed:
            return
        async with self._catch_lock:
            if hint is not None and hint <= self.checked:
                return
            tail = await process_tail()
            await tail.advance(hint)
            if self.checked < tail.floor:  # further behind than the tail keeps: read our own rows
                await self._read_db()
                return
            top, rows = tail.top, tail.since(self.audience.key, self.checked)  # together: no await between
            for row in rows:
                if not await self.push(row):
                    return  # window full: ``checked`` stays at the last row sent
                self.checked = row.cursor
            self.checked = max(self.checked, top)

    async def push(self, row: FeedRow) -> bool:
        """Send one row; False (nothing sent) when the window is full and the row must wait."""
        text = None if self.closed or self.audience is None else self.audience.render(row)
        if text is None:
            return not self.closed
        limit = int(_setting("PARCELRUN_WS_MAX_UNACKED", 2000))
        if self._sent - self._acked >= limit and not self._replaying:
            self._held = True
            await self._ask_ack(self.checked)
            return False
        await self.send(text_data=text)
        FEED_LAG.labels(feed=self.feed).observe(max(0.0, time.time() - row.at_ts))
        self._sent += 1
        self._unacked.append((row.cursor, self._sent))
        if self._sent - self._acked >= max(1, limit // 2):
            # A busy station's socket gets more than the window between two heartbeats even when
            # its client reads every message at once: ask for the acknowledgement now, so the
            # window reopens before it fills.
            await self._ask_ack(row.cursor)
        return True

    async def _ask_ack(self, cursor: int) -> None:
        """An early ping (once until answered); its cursor is the last row sent, never ahead of
        it (a client may take a ping's cursor as its position)."""
        if not self._ack_asked:
            self._ack_asked = True
            await self.send_envelope("ping", cursor, {})

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels' dispatch first runs close_old_connections through the database thread for
        # EVERY message, so each doorbell of each socket queued behind database work (most of a
        # worker's CPU and latency under load). These consumers touch the database only through
        # database_sync_to_async, which does the same cleanup in that thread around each call.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"no handler for message type {message['type']}")
        await handler(message)

    # channel-layer handlers ------------------------------------------------------------------

    async def feed_message(self, event: dict[str, Any]) -> None:
        cursor = (event.get("message") or {}).get("cursor")
        if isinstance(cursor, int):
            await self.catch_up(cursor)

    async def token_revoked(self, event: dict[str, Any]) -> None:
        await self.refuse(Close.UNAUTHENTICATED, "this token was revoked: log in again")

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.refuse(Close.UNAUTHENTICATED, "you logged out of the console: log in again")

    async def access_changed(self, event: dict[str, Any]) -> None:
        """The person's access changed (``accounts.sockets``): re-read it before another row goes out."""
        async with self._catch_lock:
            await self._access_lost()

    async def _access_lost(self) -> bool:
        """Re-read the socket's token and its person's access (a ring may be lost): close the socket
        when the feed is no longer theirs, otherwise carry on with the access as it is now (commands
        act with it). True when the socket is closed."""
        audience = self.audience
        if self.closed or audience is None or audience.user_id is None:
            return self.closed  # the shipment feed names no person: nothing to re-read
        try:
            fresh = await database_sync_to_async(auth.audience_recheck)(audience)
        except Refusal as refusal:
            await self.refuse(refusal.close, refusal.message, refusal.code)
            return True
        if self.audience is audience:  # not replaced by a concurrent re-read meanwhile
            self.audience = fresh
        return self.closed

    async def live_message(self, event: dict[str, Any]) -> None:
        message = event.get("message") or {}
        if self.audience is not None and not self.closed and message.get("type") in LIVE_TYPES[self.feed]:
            await self.send(text_data=json.dumps(message, ensure_ascii=False))

    # from the client -------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        self._heard_at = time.monotonic()
        if self.audience is None or self.closed:
            return
        try:
            message = json.loads(text_data or "")
        except ValueError:
            await self.send_error(None, "parse_error", "messages are JSON objects")
            return
        if not isinstance(message, dict):
            await self.send_error(None, "parse_error", "messages are JSON objects")
            return
        if message.get("type") == "pong":
            self._ack(message.get("cursor"))
            if self._held:  # the window has room again: go on from our position
                self._held = False
                await self.catch_up(None)
            return
        command_id = message.get("id")
        command_id = (
            command_id if isinstance(command_id, str | int) and not isinstance(command_id, bool) else None
        )
        if await self._access_lost():  # every command acts for a live token and today's access, or not at all
            return
        try:
            result = await database_sync_to_async(execute)(
                self.audience, str(message.get("type")), message.get("payload")
            )
        except DomainError as exc:
            await self.send_error(command_id, exc.code, exc.message, exc.details)
            return
        except Exception:  # a bug must not take the socket (and the client's feed) down with it
            log.exception("command %r failed", message.get("type"))
            await self.send_error(command_id, "internal_error", "the command failed; it may be retried")
            return
        await self.send_envelope(
            "command.ok", None, {"id": command_id, "type": message["type"], "result": result}
        )

    def _ack(self, cursor: Any) -> None:
        if isinstance(cursor, bool) or not isinstance(cursor, int):
            return
        self._ack_asked = False  # answered: the next half-window may ask again
        while self._unacked and self._unacked[0][0] <= cursor:
            self._acked = self._unacked.popleft()[1]

    # sending and closing ---------------------------------------------------------------------

    async def send_envelope(
        self, type_: str, cursor: int | None, payload: dict[str, Any], *, even_if_closed: bool = False
    ) -> None:
        if self.closed and not even_if_closed:
            return
        message = envelope(type_, cursor, timezone.now().isoformat(), payload)
        await self.send(text_data=json.dumps(message, ensure_ascii=False))

    async def send_error(
        self, command_id: Any, code: str, message: str, details: Any = None, *, even_if_closed: bool = False
    ) -> None:
        payload = {"id": command_id, "code": code, "message": message, "details": details or {}}
        await self.send_envelope("error", None, payload, even_if_closed=even_if_closed)

    async def refuse(self, close: Close, message: str, code: str | None = None) -> None:
        if self.closed:
            return
        self.closed = True  # first, so nothing else is sent (or refused twice) while we close
        await self.send_error(
            None, code or ERROR_CODE[close], message, {"close_code": int(close)}, even_if_closed=True
        )
        await self.close(code=int(close))

    async def _beat(self) -> None:
        interval = _setting("PARCELRUN_WS_PING_INTERVAL_S", 20)
        timeout = _setting("PARCELRUN_WS_PING_TIMEOUT_S", 20)
        # The first beat at a random point of the interval: sockets that connected together (a
        # worker restart) would otherwise all ping, and all catch up, in the same instant forever.
        delay = interval * random.uniform(0.5, 1.0)
        while not self.closed:
            await asyncio.sleep(delay)
            delay = interval
            if time.monotonic() - self._heard_at > interval + timeout:
                if self._held:  # it stopped reading with messages waiting for it
                    await self.refuse(Close.TOO_SLOW, "stopped reading: reconnect with your last cursor")
                else:
                    await self.refuse(Close.HEARTBEAT_TIMEOUT, "no pong within the heartbeat timeout")
                return
            try:
                async with self._catch_lock:  # no row goes out while the access is being re-read
                    if await self._access_lost():
                        return
                if self._counted is not None:  # keep this socket's place while it lives
                    await token_sockets.renew(*self._counted, self.channel_name)
                await self.catch_up(None)  # delivers anything whose doorbell the layer lost
                await self.send_envelope("ping", self.checked, {})
            except Disconnected:
                # The client closed while this beat was under way (daphne refuses the send before the
                # socket's websocket.disconnect reaches us): the close, not a failure. Seen in a
                # disconnect storm of 320 sockets, whose tracebacks filled the worker's log.
                return
            except Exception:  # the database or the socket went away; the next beat or the close decides
                log.warning("heartbeat failed", exc_info=True)

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if self._open_counted:
            self._open_counted = False
            OPEN_SOCKETS.labels(feed=self.feed).dec()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._counted is not None:
            (token_id, place), self._counted = self._counted, None
            await token_sockets.release(token_id, place, self.channel_name)
        if self.audience is not None:
            for group in self.audience.groups:
                await self.channel_layer.group_discard(group, self.channel_name)


class CourierFeedConsumer(FeedConsumer):
    feed = "courier"

    def open_audience(self, params: dict[str, str]) -> Audience:
        return auth.courier_audience(params, self.scope["url_route"]["kwargs"].get("courier_id"))


class StationFeedConsumer(FeedConsumer):
    feed = "station"

    def open_audience(self, params: dict[str, str]) -> Audience:
        code = self.scope["url_route"]["kwargs"]["code"]
        return auth.station_audience(params, code, self.scope)


class ShipmentFeedConsumer(FeedConsumer):
    feed = "shipment"

    def open_audience(self, params: dict[str, str]) -> Audience:
        return auth.shipment_audience(params, self.scope["url_route"]["kwargs"]["tracking_no"])


class UnknownFeedConsumer(FeedConsumer):
    def open_audience(self, params: dict[str, str]) -> Audience:
        raise Refusal(Close.NOT_FOUND, "no such feed: see docs/realtime.md for the paths")
