"""bench/sync_preload.py at 10,000 events: valid rows, the schema's indexes back, resumable, reusable.

The full preload (20 M events, 2 M shipments) is a bench step run once per database; this is the
same code on a small plan.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connection

from backend.shipments.models import Job, Shipment, TrackingEvent
from backend.shipments.numbering import FIRST_SERIAL
from bench import sync_preload
from bench.syncserver import database_url
from parcelkit.rules.tracking import is_valid_tracking_no, serial_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ARGS = argparse.Namespace(shipments=1000, events=10_000, stations=4)


def _indexes() -> set[str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = ANY(%s::regclass[])",
            [list(sync_preload.BULK_TABLES)],
        )
        return {row[0] for row in cur.fetchall()}


@pytest.fixture
def url() -> Iterator[str]:
    yield database_url(connection.settings_dict)
    with connection.cursor() as cur:  # not a model: the test flush would leave it behind
        cur.execute("DROP TABLE IF EXISTS bench_preload")


def test_preload_writes_valid_history_and_restores_every_index(url: str) -> None:
    before = _indexes()
    summary = sync_preload.preload(url, ARGS)
    assert summary["preload"] == "done"
    assert _indexes() == before
    assert Shipment.objects.count() == 1000
    assert Job.objects.count() == 1000
    assert TrackingEvent.objects.count() == 10_000
    numbers = list(Shipment.objects.values_list("tracking_no", flat=True))
    assert all(is_valid_tracking_no(n) and serial_of(n) < FIRST_SERIAL for n in numbers)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*), max(cursor) FROM shipments_feedentry")
        feed_rows, top = cur.fetchone()
        cur.execute("SELECT value FROM shipments_feedcounter WHERE id = 1")
        counter = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM shipments_trackingevent e LEFT JOIN shipments_shipment s "
            "ON s.id = e.shipment_id WHERE s.id IS NULL"
        )
        orphans = cur.fetchone()[0]
    assert feed_rows == 10_000 and counter >= top
    assert orphans == 0  # the foreign keys were not checked row by row; the rows obey them anyway
    # The server's own rows go after the preload's: the sequences moved past them.
    assert Shipment.objects.create(
        tracking_no="PR000000000000",
        station_id=Shipment.objects.first().station_id,  # type: ignore[union-attr]
    ).pk > max(Shipment.objects.exclude(tracking_no="PR000000000000").values_list("pk", flat=True))
    # Reused: a second run finds the work done and changes nothing.
    again = sync_preload.preload(url, ARGS)
    assert TrackingEvent.objects.count() == 10_000 and again["seconds_this_run"] < 30
    assert sync_preload.preload_info(url) is not None


def test_an_interrupted_preload_resumes_where_it_stopped(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync_preload, "CHUNK_EVENTS", 2500)
    real_step = sync_preload._step
    calls: list[str] = []

    def failing_step(conn: psycopg.Connection[Any], step: str, sql: str, params: dict[str, Any]) -> None:
        calls.append(step)
        if step == "events:5000" and calls.count(step) == 1:
            raise KeyboardInterrupt  # the operator's ^C in the middle of the preload
        real_step(conn, step, sql, params)

    monkeypatch.setattr(sync_preload, "_step", failing_step)
    with pytest.raises(KeyboardInterrupt):
        sync_preload.preload(url, ARGS)
    assert TrackingEvent.objects.count() == 5000
    assert sync_preload.preload_info(url) is None  # unfinished: a bench would refuse it
    sync_preload.preload(url, ARGS)
    assert TrackingEvent.objects.count() == 10_000
    with connection.cursor() as cur:
        cur.execute("SELECT count(DISTINCT idempotency_key) FROM shipments_trackingevent")
        assert cur.fetchone()[0] == 10_000
