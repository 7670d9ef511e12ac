"""Service calls and feed rows for websocket tests (run in Channels' database thread)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from backend.realtime.selectors import feed_head
from backend.shipments import feed
from backend.shipments.models import FeedEntry, Job
from backend.shipments.services import job_assign
from backend.shipments.snapshots import job_snapshot
from tests.backend.realtime.conftest import Socket, run


async def open_ready(path: str) -> Socket:
    """A socket on ``path`` that has said ``session.ready``."""
    sock = Socket(path)
    ready = await sock.open()
    assert ready["type"] == "session.ready", ready
    return sock


async def assign(job_id: int, courier_id: int, staff) -> Job:
    return await run(job_assign)(job_id=job_id, courier_id=courier_id, ctx=staff.ctx)


def _silent_row(job_id: int) -> int:
    """A committed change whose push the channel layer lost: a feed row and no doorbell."""
    job = Job.objects.select_related("shipment").get(pk=job_id)
    with transaction.atomic():
        entry = FeedEntry.objects.create(
            cursor=feed.next_cursors(1),
            kind="job.updated",
            payload={"job": job_snapshot(job)},
            station_id=job.station_id,
            courier_id=job.courier_id,
            shipment_id=job.shipment_id,
            job_id=job.pk,
            created_at=timezone.now(),
        )
    return entry.cursor


silent_row = run(_silent_row)
head = run(feed_head)


async def ring(group: str, cursor: int) -> None:
    """Ring a feed doorbell by hand (a duplicate, late or out-of-order push)."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    assert layer is not None
    await layer.group_send(group, {"type": "feed.message", "message": {"cursor": cursor}})
