"""The workers' tail read (selectors.feed_rows_after) gives the rows the ORM gives, in cursor order."""

from __future__ import annotations

import pytest

from backend.couriers.models import Courier, Station
from backend.realtime.selectors import FeedRow, feed_rows_after
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
