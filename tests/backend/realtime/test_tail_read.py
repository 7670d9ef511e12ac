"""The workers' tail read (selectors.feed_rows_after) gives the rows the ORM gives, in cursor order."""

from __future__ import annotations

import asyncio
import functools
import threading

import pytest
from asgiref.sync import SyncToAsync, sync_to_async
from channels.db import database_sync_to_async
from django.db import connection, connections

from backend.couriers.models import Courier, Station
from backend.realtime import tail
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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_tail_keeps_its_connection_and_reconnects_when_it_breaks(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    """The tail thread keeps its connection between reads (no pool round trip per doorbell); a
    read on a broken one is made again on a fresh connection, so no socket sees the error."""
    job = make_job(station, supervisor.ctx)
    job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    last = FeedEntry.objects.order_by("-cursor").values_list("cursor", flat=True)[0]
    in_tail_thread = functools.partial(SyncToAsync, thread_sensitive=False, executor=tail._TAIL_THREAD)

    def backend_pid() -> int:
        return int(connections["default"].connection.info.backend_pid)

    def terminate(pid: int) -> None:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", [pid])

    async def scenario() -> None:
        try:
            first = FeedTail(head=0)
            await first.advance()
            pid = await in_tail_thread(backend_pid)()
            again = FeedTail(head=0)
            await again.advance()
            assert await in_tail_thread(backend_pid)() == pid  # the same connection, kept
            await sync_to_async(terminate)(pid)
            await asyncio.sleep(0.2)
            fresh = FeedTail(head=0)
            await fresh.advance()
            assert fresh.top == last
            assert await in_tail_thread(backend_pid)() != pid
        finally:
            await close_tail_connection()

    asyncio.run(scenario())
