"""Waybill number allocation from one counter: single numbers for the server, blocks for devices."""

from __future__ import annotations

from django.db import connection, transaction

from backend.shipments.models import SerialCounter
from parcelkit.rules.tracking import MAX_SERIAL, make_tracking_no

_TABLE = SerialCounter._meta.db_table
# Serials below this are kept for numbers printed by merchants' own systems and imports.
FIRST_SERIAL = 10_000_000


def reserve_serials(count: int, counter: str = "waybill") -> range:
    """Reserve ``count`` consecutive serials; never the same serial twice, even under concurrency."""
    if count < 1:
        raise ValueError("count must be positive")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {_TABLE} (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
            [counter, FIRST_SERIAL],
        )
        cur.execute(
            f"UPDATE {_TABLE} SET value = value + %s WHERE name = %s RETURNING value", [count, counter]
        )
        row = cur.fetchone()
    assert row is not None
    last = int(row[0])
    if last > MAX_SERIAL:
        raise RuntimeError("waybill serial space exhausted")
    return range(last - count + 1, last + 1)


def next_tracking_no() -> str:
    return make_tracking_no(reserve_serials(1)[0])
