"""The feed cursor under concurrent writers on PostgreSQL: readers never skip or repeat a change.

Writers allocate ids from sequences early (events, then the feed row) and commit late and out of
order; a cursor taken from a sequence would let a reader pass an id that commits later. The feed's
commit-ordered counter must make every reader see a gap-free, repeat-free run of cursors.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection, transaction

from backend.couriers.models import Station
from backend.shipments import feed
from backend.shipments.models import FeedEntry
from backend.sync.selectors import committed_cursor

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITERS, READERS, WRITES_EACH = 8, 3, 40


def _writer(station_id: int, seed: int, errors: list[BaseException]) -> None:
    rng = random.Random(seed)
    try:
        for i in range(WRITES_EACH):
            with transaction.atomic():
                with (
                    connection.cursor() as cur
                ):  # take an id from a sequence early, like a service's event row
                    cur.execute("SELECT nextval(pg_get_serial_sequence('shipments_feedentry', 'id'))")
                time.sleep(rng.random() * 0.004)
                if i % 5 == 0:
                    with feed.batch():
                        for _ in range(rng.randint(2, 6)):
                            feed.append("test.bulk", {"w": seed}, station_id=station_id)
                else:
                    feed.append("test.one", {"w": seed}, station_id=station_id)
                time.sleep(rng.random() * 0.002)  # a slow commit, holding the counter lock
    except BaseException as exc:
        errors.append(exc)
    finally:
        connection.close()


def _reader(station_id: int, stop: threading.Event, seen: list[int], errors: list[BaseException]) -> None:
    cursor = 0
    try:
        while True:
            done = stop.is_set()
            rows = list(
                FeedEntry.objects.filter(station_id=station_id, cursor__gt=cursor)
                .order_by("cursor")
                .values_list("cursor", flat=True)[:37]
            )
            for c in rows:
                assert c == cursor + 1, f"reader jumped from {cursor} to {c}"
                cursor = c
                seen.append(c)
            if done and not rows:
                break
    except BaseException as exc:
        errors.append(exc)
    finally:
        connection.close()


def test_readers_see_every_change_once_while_writers_commit_out_of_order() -> None:
    station = Station.objects.create(code="CC1", name="并发", address="x", lat=30.0, lng=120.0)
    errors: list[BaseException] = []
    stop = threading.Event()
    seen: list[list[int]] = [[] for _ in range(READERS)]
    readers = [
        threading.Thread(target=_reader, args=(station.pk, stop, seen[i], errors)) for i in range(READERS)
    ]
    writers = [threading.Thread(target=_writer, args=(station.pk, i, errors)) for i in range(WRITERS)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert errors == []
    total = FeedEntry.objects.filter(station_id=station.pk).count()
    assert total > WRITERS * WRITES_EACH
    assert committed_cursor() == total
    for run in seen:
        assert run == list(range(1, total + 1))
