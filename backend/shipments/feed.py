"""The change feed: one row per committed change, numbered in commit order.

``append`` must be the last write of a service's transaction. It takes the counter row lock,
which is then held only for the commit itself; that is what makes the cursor safe for readers
(a later cursor is never visible before an earlier one) at the cost of serialising commits of
feed-writing transactions, which are short.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils import timezone

from backend.realtime.publish import publish_entry_on_commit
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
    entry = FeedEntry.objects.create(
        cursor=next_cursors(1),
        kind=kind,
        payload=payload,
        station_id=station_id,
        courier_id=courier_id,
        prev_courier_id=prev_courier_id,
        shipment_id=shipment_id,
        job_id=job_id,
        created_at=timezone.now(),
    )
    publish_entry_on_commit(entry)
    return entry
