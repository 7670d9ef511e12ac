"""Reads of the change feed for live delivery: the head, the global tail and one audience's rows.

Rows are copied out of the ORM into ``FeedRow`` so the per-process tail (see ``tail.py``) holds
plain data and each row's rendered JSON can be cached once for every socket that forwards it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Literal

from django.db import connection
from django.db.models import Max, Q

from backend.broadcast.envelope import envelope
from backend.common import rows
from backend.shipments.models import FeedEntry

Feed = Literal["courier", "station", "shipment"]


@dataclass(eq=False)
class FeedRow:
    cursor: int
    kind: str
    station_id: int | None
    courier_id: int | None
    prev_courier_id: int | None
    shipment_id: int | None
    job_id: int | None
    payload: dict[str, Any]
    at: str

    @classmethod
    def of(cls, e: FeedEntry) -> FeedRow:
        return cls(
            cursor=e.cursor,
            kind=e.kind,
            station_id=e.station_id,
            courier_id=e.courier_id,
            prev_courier_id=e.prev_courier_id,
            shipment_id=e.shipment_id,
            job_id=e.job_id,
            payload=e.payload,
            at=e.created_at.isoformat(),
        )

    @cached_property
    def at_ts(self) -> float:
        """When the row was written, as a Unix time (the feed-lag metric measures from it)."""
        return datetime.fromisoformat(self.at).timestamp()

    @cached_property
    def plain_json(self) -> str:
        """The entry as its own message type: what couriers (own jobs) and supervisors receive."""
        return json.dumps(envelope(self.kind, self.cursor, self.at, self.payload), ensure_ascii=False)


def feed_head() -> int:
    """The last committed cursor (0 for an empty feed). Cursors commit in order, so every row ≤ it is visible."""
    return int(FeedEntry.objects.aggregate(m=Max("cursor"))["m"] or 0)


@functools.cache
def _tail_sql() -> str:
    feed = rows.shape(FeedEntry)
    return (
        f'SELECT {feed.select("f")} FROM "{feed.table}" f WHERE f."cursor" > %s ORDER BY f."cursor" LIMIT %s'
    )


def feed_rows_after(*, after: int, limit: int) -> list[FeedRow]:
    """The whole feed after ``after``, for the per-process tail.

    Every worker runs it once per batch of doorbells, so on PostgreSQL its statement is built once
    (backend/common/rows.py) instead of compiled per call.
    """
    if connection.vendor != "postgresql":
        return [FeedRow.of(e) for e in FeedEntry.objects.filter(cursor__gt=after).order_by("cursor")[:limit]]
    with connection.cursor() as cur:
        cur.execute(_tail_sql(), [after, limit])
        found = cur.fetchall()
    feed = rows.shape(FeedEntry)
    return [FeedRow.of(feed.build(FeedEntry, row)) for row in found]


def audience_filter(feed: Feed, target_id: int) -> Q:
    if feed == "courier":
        # The previous courier sees the entry too: for them it is a revocation.
        return Q(courier_id=target_id) | Q(prev_courier_id=target_id)
    if feed == "station":
        return Q(station_id=target_id)
    return Q(shipment_id=target_id)


def audience_rows_after(*, feed: Feed, target_id: int, after: int, limit: int) -> tuple[list[FeedRow], int]:
    """One audience's rows after ``after``, and the position the caller has then checked through.

    The head is read before the rows: every row at or below it is already visible, so when the
    page is not full the caller has seen all of its rows up to the head and may skip hints up to it.
    """
    head = feed_head()
    qs = FeedEntry.objects.filter(audience_filter(feed, target_id), cursor__gt=after, cursor__lte=head)
    rows = [FeedRow.of(e) for e in qs.order_by("cursor")[:limit]]
    checked = rows[-1].cursor if len(rows) == limit else max(head, after)
    return rows, checked
