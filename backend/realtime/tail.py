"""The per-process tail of the change feed: one query serves every socket of a worker.

A push is only a doorbell ("something up to cursor N committed"). Each socket then reads what its
audience missed after its own position, in cursor order, so a lost, late or out-of-order push can
cost latency but never a gap or a duplicate. Reading the database once per socket per push would
cost (sockets × pushes) queries; instead each worker process keeps the recent feed in memory and
refreshes it with ``cursor > top`` once per batch of pushes, whatever the number of sockets.

Why the tail is complete: cursors are issued under the FeedCounter row lock held to commit, so a
query that sees cursor N sees every cursor below N (docs/sync-protocol.md). After a read whose
last row is M, the tail holds *every* row in (floor, M]; a socket whose position is below
``floor`` (it fell further behind than the tail keeps) reads its audience from the database.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_right
from concurrent.futures import ThreadPoolExecutor
from weakref import WeakKeyDictionary

from asgiref.sync import SyncToAsync
from channels.db import DatabaseSyncToAsync, database_sync_to_async
from django.db import DatabaseError, connections

from backend.realtime.selectors import FeedRow, feed_head, feed_rows_after

PAGE = 500
CAPACITY = 1000  # rows kept (up to twice that between trims): 5–10 s at 200 changes/s, ~10 MB
REFRESH_MIN_S = 1.0  # a heartbeat-driven refresh (no push) runs at most this often per process

# The tail's read has a thread (and so a database connection) of its own. Every other database
# call of a worker goes through Channels' one shared thread, one call at a time; when a killed
# worker's sockets reconnect here at once, their authentication and replay reads (three or more
# each) filled that thread's queue and every live doorbell of every socket waited behind them for
# seconds. Live delivery must not queue behind reconnects. The thread lives as long as the process
# and keeps its connection: a worker reads the tail about once per doorbell, and handing the
# connection back to the pool after each read and taking it again (with the pool's health check,
# a round trip) cost 300 µs of CPU a read instead of 220. A read that fails on it (PostgreSQL
# restarted, the connection broken) is made once more on a fresh connection, as the pool's health
# check would have: every socket waiting on this read would otherwise get the error.
_TAIL_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-tail")


def _read_keeping_the_connection(*, after: int, limit: int) -> list[FeedRow]:
    try:
        return feed_rows_after(after=after, limit=limit)
    except DatabaseError:
        connections["default"].close()
        return feed_rows_after(after=after, limit=limit)  # a read: safe to repeat


_read_after = SyncToAsync(_read_keeping_the_connection, thread_sensitive=False, executor=_TAIL_THREAD)


async def close_tail_connection() -> None:
    """Close the tail thread's database connection (a test's database cannot be dropped while one is open)."""
    await DatabaseSyncToAsync(connections.close_all, thread_sensitive=False, executor=_TAIL_THREAD)()


class FeedTail:
    def __init__(self, head: int, capacity: int = CAPACITY) -> None:
        self.floor = head  # the tail holds every row with floor < cursor <= top
        self.top = head
        self.capacity = capacity
        self._rows: list[FeedRow] = []
        self._cursors: list[int] = []
        # Per audience (feed, id): its rows, so a socket's catch-up never scans other audiences' rows.
        self._index: dict[tuple[str, int], tuple[list[int], list[FeedRow]]] = {}
        self._lock = asyncio.Lock()
        self._refreshed_at = 0.0
        self.reads = 0  # database reads so far (the cost the bench reports)

    async def advance(self, to: int | None = None) -> None:
        """Make the tail reach cursor ``to`` (a push's cursor), or whatever is committed when None."""
        if to is not None and self.top >= to:
            return
        async with self._lock:  # concurrent sockets wait for the one read in flight, then find it done
            if to is None and time.monotonic() - self._refreshed_at < REFRESH_MIN_S:
                return
            while to is None or self.top < to:
                rows = await _read_after(after=self.top, limit=PAGE)
                self.reads += 1
                self._append(rows)
                if len(rows) < PAGE:
                    break  # everything committed is in; a push for a cursor we cannot see is not ours
            self._refreshed_at = time.monotonic()

    def since(self, key: tuple[str, int], after: int) -> list[FeedRow]:
        """The audience's rows with cursor > ``after``; only complete when ``after >= floor``."""
        cursors, rows = self._index.get(key, ((), ()))
        return list(rows[bisect_right(cursors, after) :])

    def _append(self, rows: list[FeedRow]) -> None:
        if not rows:
            return
        self._rows.extend(rows)
        self._cursors.extend(r.cursor for r in rows)
        self.top = rows[-1].cursor
        if len(self._rows) > 2 * self.capacity:  # trim in chunks so appends stay amortised O(1)
            cut = len(self._rows) - self.capacity
            self.floor = self._cursors[cut - 1]
            del self._rows[:cut]
            del self._cursors[:cut]
            self._index = {}
            rows = self._rows
        for row in rows:
            for key in audience_keys(row):
                cursors, kept = self._index.setdefault(key, ([], []))
                cursors.append(row.cursor)
                kept.append(row)


def audience_keys(row: FeedRow) -> set[tuple[str, int]]:
    """Every audience a row belongs to (see ``Audience.wants``; the two must agree)."""
    keys = {
        ("courier", row.courier_id),
        ("courier", row.prev_courier_id),
        ("station", row.station_id),
        ("shipment", row.shipment_id),
    }
    return {(feed, target) for feed, target in keys if target is not None}


_tails: WeakKeyDictionary[asyncio.AbstractEventLoop, FeedTail] = WeakKeyDictionary()


async def process_tail() -> FeedTail:
    """The tail of this process (one per event loop: a worker has one; each test has its own)."""
    loop = asyncio.get_running_loop()
    tail = _tails.get(loop)
    if tail is None:
        head = await database_sync_to_async(feed_head)()
        tail = _tails.setdefault(loop, FeedTail(head))
    return tail
