"""The workers' tail read (selectors.feed_rows_after) gives the rows the ORM gives, in cursor order."""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async

from backend.couriers.models import Courier, Station
from backend.realtime.selectors import FeedRow, feed_rows_after
from backend.realtime.tail import FeedTail, close_tail_connection
from backend.shipments.models import FeedEntry
from backend.shipments.services import job_assign
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person


@pytest.mark.django_db
def test_the_tail_read_equals_the_feed_rows(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx)
    job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    entries = list(FeedEntry.objects.order_by("cursor"))
    assert len(entries) >= 2
    got = feed_rows_after(after=entries[0].cursor - 1, limit=100)
    want = [FeedRow.of(e) for e in entries]
    assert [vars(r) for r in got] == [vars(r) for r in want]  # payloads parsed, times alike
    assert [r.cursor for r in feed_rows_after(after=entries[0].cursor, limit=1)] == [entries[1].cursor]


@pytest.mark.django_db(transaction=True)
def test_the_tail_reads_while_the_shared_database_thread_is_busy(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    """A worker's other database calls (sockets authenticating and replaying after a reconnect
    storm) queue on Channels' one database thread; the live tail must not wait behind them."""
    job = make_job(station, supervisor.ctx)
    job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    last = FeedEntry.objects.order_by("-cursor").values_list("cursor", flat=True)[0]

    async def scenario() -> None:
        gate = threading.Event()
        busy = asyncio.ensure_future(database_sync_to_async(gate.wait)(30))  # holds the shared thread
        try:
            await asyncio.sleep(0.05)
            tail = FeedTail(head=0)
            await asyncio.wait_for(tail.advance(), timeout=5)  # queued behind ``busy`` it would take 30 s
            assert tail.top == last
            assert not busy.done()
        finally:
            gate.set()
            await busy
            await close_tail_connection()

    asyncio.run(scenario())
