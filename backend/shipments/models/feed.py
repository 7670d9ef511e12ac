"""The change feed: one row per change, addressed to the people who may see it, and its counter.

Fields and constraints only; rows are appended by ``backend.shipments.feed`` (docs/sync-protocol.md).
"""

from __future__ import annotations

from django.db import models

from backend.common.model_fields import unchecked_ref
from backend.couriers.models import Courier, Station
from backend.shipments.models.parcels import Job, Shipment


class FeedCounter(models.Model):
    """A single row whose value is the last issued change-feed cursor.

    Writers bump it with ``UPDATE … RETURNING`` as the last statement of their transaction: the
    row lock is held until commit, so cursors are issued in commit order and a reader that sees
    cursor N has already been able to see every cursor below N. See docs/sync-protocol.md.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"feed counter at {self.value}"


class FeedEntry(models.Model):
    """One change, addressed to the people who may see it (its courier, the previous courier, the station)."""

    cursor = models.PositiveBigIntegerField(unique=True)
    kind = models.CharField(max_length=32)
    # Each of these is the leading column of a (column, cursor) index below, which serves it too.
    # No database constraints: a feed row is a derived log line, written only by the service layer
    # in the transaction that wrote the rows it names, which are never deleted (PROTECT). A
    # constraint would check each of them per row at commit and key-share-lock the station's row
    # from every concurrent push (a multixact per row): a third of a station scan's database time.
    station = unchecked_ref(Station)
    courier = unchecked_ref(Courier)
    prev_courier = unchecked_ref(Courier)
    shipment = unchecked_ref(Shipment)
    job = unchecked_ref(Job)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        # Partial where the column is often empty (a station scan has no courier and no job): a
        # row skips the indexes it would only add a NULL to, and ``courier_id = X`` still uses them.
        indexes = [
            models.Index(
                fields=["courier", "cursor"],
                name="feed_courier_cursor",
                condition=models.Q(courier__isnull=False),
            ),
            models.Index(
                fields=["prev_courier", "cursor"],
                name="feed_prev_courier_cursor",
                condition=models.Q(prev_courier__isnull=False),
            ),
            models.Index(fields=["station", "cursor"]),
            models.Index(fields=["shipment", "cursor"]),
            models.Index(fields=["job"], name="feed_job_set", condition=models.Q(job__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"#{self.cursor} {self.kind}"
