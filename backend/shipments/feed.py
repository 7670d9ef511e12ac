"""The change feed: one row per committed change, numbered in commit order.

``append`` must be the last write of a service's transaction. It takes the counter row lock,
which is then held only for the commit itself; that is what makes the cursor safe for readers
(a later cursor is never visible before an earlier one) at the cost of serialising commits of
feed-writing transactions, which are short.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from backend.broadcast.publish import publish_entries_on_commit, publish_entry_on_commit
from backend.common import pgbulk
from backend.shipments.models import FeedCounter, FeedEntry

_BUMP = f"UPDATE {FeedCounter._meta.db_table} SET value = value + %s WHERE id = 1 RETURNING value"
_SEED = (
    f"INSERT INTO {FeedCounter._meta.db_table} (id, value) "
    f"SELECT 1, COALESCE(MAX(cursor), 0) FROM {FeedEntry._meta.db_table} WHERE true "
    "ON CONFLICT (id) DO NOTHING"
)


def next_cursors(count: int = 1) -> int:
    """Reserve ``count`` cursors; returns the last one. Caller must be inside a transaction."""
    with connection.cursor() as cur:
        cur.execute(_BUMP, [count])
        row = cur.fetchone()
        if row is None:
            # The counter row is missing (fresh database or a flushed test DB): create it from the feed.
            # ("WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT.)
            cur.execute(_SEED)
            cur.execute(_BUMP, [count])
            row = cur.fetchone()
    assert row is not None
    return int(row[0])


def append(
    kind: str,
    payload: dict[str, Any],
    *,
    station_id: int | None = None,
    courier_id: int | None = None,
    prev_courier_id: int | None = None,
    shipment_id: int | None = None,
    job_id: int | None = None,
) -> FeedEntry:
    """Append one change-feed row; must be the last write of the transaction (it takes the counter lock). Inside ``batch()`` it only buffers."""
    entry = FeedEntry(
        kind=kind,
        payload=payload,
        station_id=station_id,
        courier_id=courier_id,
        prev_courier_id=prev_courier_id,
        shipment_id=shipment_id,
        job_id=job_id,
        created_at=timezone.now(),
    )
    pending = getattr(_deferred, "entries", None)
    if pending is not None:
        pending.append(entry)  # written, with its cursor, when the enclosing batch() ends
        return entry
    if connection.vendor == "postgresql":
        _insert_one(entry)
    else:
        entry.cursor = next_cursors(1)
        entry.save(force_insert=True)
    publish_entry_on_commit(entry)
    return entry


def _insert_one(entry: FeedEntry) -> None:
    params = [
        pgbulk.jsonb(value) if pg_type == "jsonb" and value is not None else value
        for name, pg_type in _COLUMNS
        for value in [getattr(entry, name)]
    ]
    rows = pgbulk.execute(_APPEND_ONE, params)
    if not rows:
        with connection.cursor() as cur:
            cur.execute(_SEED)
        rows = pgbulk.execute(_APPEND_ONE, params)
    entry.pk, entry.cursor = rows[0]
    entry._state.adding, entry._state.db = False, connection.alias  # as save() leaves it


# Deferred appends (used by sync pushes that apply many ops in one transaction). Without it every
# op would take the counter lock at its first append and hold it to the batch's commit, so all
# devices' batches would queue behind each other; deferred, the lock is held only for the final
# block insert and the commit, exactly as for a single-op service.
_deferred = threading.local()


@contextmanager
def batch() -> Iterator[None]:
    """Inside the block ``append`` only buffers; a clean exit reserves one block of cursors
    (``next_cursors(n)``), bulk-inserts the rows in append order and publishes them after commit.

    Must run inside a transaction and end as its last write. A caller that rolls back part of the
    work (a savepoint) drops that part's entries with ``pending_mark``/``drop_pending``.
    """
    assert transaction.get_connection().in_atomic_block, "feed.batch needs a transaction"
    if getattr(_deferred, "entries", None) is not None:
        raise RuntimeError("feed.batch blocks do not nest")
    _deferred.entries = []
    try:
        yield
        entries: list[FeedEntry] = _deferred.entries
    finally:
        _deferred.entries = None
    if entries:
        insert_block(entries)


@contextmanager
def batch_joined() -> Iterator[None]:
    """``batch()``, or the batch already open on this thread: for composite services that call
    other composite services (``reassign_jobs`` → ``job_reassign``). Either way the counter lock is
    taken once, by the outermost block, as its transaction's last write: a service that locks
    jobs while it computes routes never holds the counter lock meanwhile (lock order: jobs, then
    the counter — the order every single-op service has too)."""
    if getattr(_deferred, "entries", None) is not None:
        yield
        return
    with batch():
        yield


@dataclass(slots=True)
class PendingEntry:
    """A feed row built by a bulk service (cheaper than a model instance at thousands per request)."""

    kind: str
    payload: dict[str, Any]
    created_at: datetime
    station_id: int | None = None
    courier_id: int | None = None
    prev_courier_id: int | None = None
    shipment_id: int | None = None
    job_id: int | None = None
    cursor: int = 0


def append_many(entries: list[PendingEntry]) -> None:
    """Unsaved entries built by a bulk service: buffered inside ``batch()``, else written as one block."""
    pending = getattr(_deferred, "entries", None)
    if pending is not None:
        pending.extend(entries)
    elif entries:
        insert_block(entries)


def pending_mark() -> int:
    """How many rows the open ``batch()`` holds: a mark to drop back to when a savepoint rolls back."""
    return len(_deferred.entries)


def drop_pending(mark: int) -> None:
    """Forget the rows buffered after ``mark`` (their savepoint was rolled back)."""
    del _deferred.entries[mark:]


def insert_block(entries: Sequence[FeedEntry | PendingEntry]) -> None:
    """Give ``entries`` consecutive cursors (one counter bump) and insert them in one statement."""
    last = next_cursors(len(entries))
    for i, entry in enumerate(entries):
        entry.cursor = last - len(entries) + 1 + i
    if connection.vendor == "postgresql":
        _insert_unnest(entries)
    else:
        FeedEntry.objects.bulk_create(
            [
                e
                if isinstance(e, FeedEntry)
                else FeedEntry(**{f: getattr(e, f) for f in PendingEntry.__slots__})
                for e in entries
            ]
        )
    publish_entries_on_commit(entries)


def _insert_unnest(entries: Sequence[FeedEntry | PendingEntry]) -> None:
    # One statement with binary array parameters: far cheaper than bulk_create's VALUES list.
    pgbulk.insert_unnest(
        FeedEntry._meta.db_table,
        [(name, pg_type, [getattr(e, name) for e in entries]) for name, pg_type in _COLUMNS],
        numbered=("cursor", entries[0].cursor),
    )


_COLUMNS = (
    ("kind", "text"),
    ("payload", "jsonb"),
    ("station_id", "bigint"),
    ("courier_id", "bigint"),
    ("prev_courier_id", "bigint"),
    ("shipment_id", "bigint"),
    ("job_id", "bigint"),
    ("created_at", "timestamptz"),
)


# The counter bump and the row's insert in one statement: every single-op service ends with it, and
# the ORM's insert (its SQL built per call, its values quoted into the text) cost more than the
# round trip it shares. An empty result means the counter row is missing (see ``next_cursors``).
_APPEND_ONE = (
    f"WITH c AS (UPDATE {FeedCounter._meta.db_table} SET value = value + 1 WHERE id = 1 RETURNING value) "
    f"INSERT INTO {FeedEntry._meta.db_table} (cursor, {', '.join(name for name, _ in _COLUMNS)}) "
    f"SELECT c.value, {', '.join(f'%b::{pg_type}' for _, pg_type in _COLUMNS)} FROM c RETURNING id, cursor"
)
