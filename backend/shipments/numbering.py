"""Waybill number allocation from one counter: single numbers for the server, blocks for devices.

Serials above ``FIRST_SERIAL`` are the server's space: they exist once the counter has issued them
(to the server's own intake or to a device's block). A client may bring its own number below it (a
merchant's system, an import), or one the counter has already issued (a device's pre-printed
waybill); a number the counter has not reached yet is refused, so nobody can take the server's next
number. Numbers a client took anyway (before this rule) are skipped, never reissued.
"""

from __future__ import annotations

from django.db import connection, transaction

from backend.common.errors import DomainError
from backend.shipments.models import SerialCounter, Shipment
from parcelkit.rules.tracking import MAX_SERIAL, make_tracking_no, serial_of

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
    """The next server-issued number that no shipment carries yet."""
    while True:
        number = make_tracking_no(reserve_serials(1)[0])
        if not Shipment.objects.filter(tracking_no=number).exists():
            return number


def issued_up_to(counter: str = "waybill") -> int:
    """The highest serial the counter has issued (``FIRST_SERIAL`` when none)."""
    value = SerialCounter.objects.filter(name=counter).values_list("value", flat=True).first()
    return FIRST_SERIAL if value is None else int(value)


def check_client_number(tracking_no: str) -> None:
    """Refuse a client-chosen number the server has not issued yet (it would be the server's next)."""
    serial = serial_of(tracking_no)
    if serial > FIRST_SERIAL and serial > issued_up_to():
        raise DomainError(
            "tracking_no_reserved",
            f"{tracking_no} is in the server's number range and has not been issued: "
            "leave tracking_no empty and the server assigns one",
        )
