"""Publish a committed change to the channel-layer groups of the people who may see it.

Publishing happens only in ``transaction.on_commit``: a message about a change that then rolls
back would tell a courier about a job that does not exist. A push is only a hint; clients that
miss it catch up from the change feed with their cursor.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from channels.layers import get_channel_layer
from django.db import transaction

from backend.broadcast.envelope import courier_group, shipment_group, station_group
from backend.common.layer_loop import run_send

log = logging.getLogger(__name__)


class FeedEntry(Protocol):
    """What publishing reads of a change-feed row (``backend.shipments.models.FeedEntry``): a
    protocol, so this module stays below shipments (docs/architecture.md, layers)."""

    @property
    def cursor(self) -> int: ...
    @property
    def courier_id(self) -> int | None: ...
    @property
    def prev_courier_id(self) -> int | None: ...
    @property
    def station_id(self) -> int | None: ...
    @property
    def shipment_id(self) -> int | None: ...


def groups_for(entry: FeedEntry) -> list[str]:
    groups = []
    if entry.courier_id:
        groups.append(courier_group(entry.courier_id))
    if entry.prev_courier_id and entry.prev_courier_id != entry.courier_id:
        groups.append(courier_group(entry.prev_courier_id))
    if entry.station_id:
        groups.append(station_group(entry.station_id))
    if entry.shipment_id:
        groups.append(shipment_group(entry.shipment_id))
    return groups


def doorbell(entry: FeedEntry) -> dict[str, Any]:
    """What a group hears: the cursor only. Sockets read the rows themselves (``tail.py``), so the
    row's content would be serialised, published and dropped for nothing (a 500-scan push rings
    ~500 shipment groups)."""
    return {"cursor": entry.cursor}


def send_to_groups(groups: list[str], message: dict[str, Any]) -> None:
    # One hop to the event loop for all groups: each async_to_sync call costs more than a publish.
    _send_many([(groups, message)])


def publish_entry_on_commit(entry: FeedEntry) -> None:
    groups = groups_for(entry)
    message = doorbell(entry)
    transaction.on_commit(lambda: send_to_groups(groups, message))


def publish_entries_on_commit(entries: Sequence[FeedEntry]) -> None:
    """Many entries (a bulk ingest): each group hears once, with the last of its entries.

    A pushed message is a doorbell: consumers read every row after their own position from the
    feed, whatever the message carries. So one ring per group per batch delivers the same rows as
    one per entry, and a 500-scan push costs two publishes instead of a thousand.
    """
    last: dict[str, dict[str, Any]] = {}
    for entry in entries:  # in cursor order: the last write for a group is its highest cursor
        message = doorbell(entry)
        for group in groups_for(entry):
            last[group] = message
    batch = [([group], message) for group, message in last.items()]
    transaction.on_commit(lambda: _send_many(batch))


def _send_many(batch: list[tuple[list[str], dict[str, Any]]]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    flat = [
        (group, {"type": "feed.message", "message": message}) for groups, message in batch for group in groups
    ]
    many = getattr(layer, "group_send_many", None)

    async def send_all() -> None:
        if many is not None:  # the Redis layer: every group in one pipeline (see broadcast/layers.py)
            try:
                await many(flat)
            except Exception:  # see send_to_groups: clients catch up by cursor
                log.exception("publish to %d groups failed", len(flat))
            return
        for group, message in flat:
            try:
                await layer.group_send(group, message)
            except Exception:
                log.exception("publish to %s failed", group)

    run_send(layer, send_all)
