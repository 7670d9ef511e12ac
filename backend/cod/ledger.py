"""The handover's statements, written by hand: the end of a shift sends every courier's at once.

Fifty supervisors' confirmations arrive together at the end of the shift, and each one's time is
the CPU its worker spends on it times the number of requests ahead of it. Through the ORM the
handover cost nine queries and about 12 ms of worker CPU, most of it building SQL (a
``select_for_update`` with ``select_related``, an anti-join, a sub-select on the last handover);
these statements carry the same reads and writes in three round trips at a fraction of that
CPU. They are portable SQL (PostgreSQL and the SQLite of a development checkout); table and column
names come from the models, so a rename cannot leave them behind.

Called by ``services.handover_confirm`` only, inside its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection
from django.db.models import Field, Model

from backend.cod.models import Declaration, Handover, HandoverItem, Variance
from backend.couriers.models import Courier, Station
from backend.shipments.models import Collection
from parcelkit.rules import cod as cod_rules


def _t(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _c(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column is not None  # a concrete field has a column
    return connection.ops.quote_name(field.column)


@dataclass(frozen=True)
class LockedCourier:
    courier_id: int
    station_id: int
    time_zone: str


def lock_courier(courier_id: int) -> LockedCourier | None:
    """Lock the courier's row (every service that moves their cash takes it first) and read the
    station's time zone with it. None when there is no such courier."""
    lock = " FOR UPDATE OF c" if connection.features.has_select_for_update_of else ""
    sql = (
        f"SELECT c.{_c(Courier, 'station')}, s.{_c(Station, 'time_zone')} "
        f"FROM {_t(Courier)} c JOIN {_t(Station)} s ON s.{_c(Station, 'id')} = c.{_c(Courier, 'station')} "
        f"WHERE c.{_c(Courier, 'id')} = %s{lock}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [courier_id])
        row = cur.fetchone()
    return None if row is None else LockedCourier(courier_id, int(row[0]), str(row[1]))


@dataclass(frozen=True)
class Basis:
    """What a handover takes in: the cash records still held, and the declaration it answers."""

    held: list[tuple[int, int]]  # (collection id, amount in fen), oldest first
    declared_id: int | None  # the courier's latest declaration since their last handover

    @property
    def expected_fen(self) -> int:
        return sum(amount for _, amount in self.held)


def basis(courier_id: int) -> Basis:
    """One statement (run after the lock, so it sees every handover committed before it): the held
    cash records (as ``selectors.held_collections``), then one row with the declaration."""
    col, item, ho, decl = _t(Collection), _t(HandoverItem), _t(Handover), _t(Declaration)
    sql = (
        f"SELECT x.{_c(Collection, 'id')}, x.{_c(Collection, 'amount_fen')}, NULL FROM {col} x "
        f"WHERE x.{_c(Collection, 'courier')} = %s AND x.{_c(Collection, 'method')} = %s "
        f"AND NOT EXISTS (SELECT 1 FROM {item} i WHERE i.{_c(HandoverItem, 'collection')} = x.{_c(Collection, 'id')}) "
        "UNION ALL "
        f"SELECT NULL, NULL, (SELECT d.{_c(Declaration, 'id')} FROM {decl} d "
        f"WHERE d.{_c(Declaration, 'courier')} = %s AND (d.{_c(Declaration, 'recorded_at')} > "
        f"(SELECT h.{_c(Handover, 'confirmed_at')} FROM {ho} h WHERE h.{_c(Handover, 'courier')} = %s "
        f"ORDER BY h.{_c(Handover, 'id')} DESC LIMIT 1) "
        f"OR NOT EXISTS (SELECT 1 FROM {ho} h2 WHERE h2.{_c(Handover, 'courier')} = %s)) "
        f"ORDER BY d.{_c(Declaration, 'id')} DESC LIMIT 1)"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [courier_id, cod_rules.CASH, courier_id, courier_id, courier_id])
        rows = cur.fetchall()
    held = sorted((int(r[0]), int(r[1])) for r in rows if r[0] is not None)
    declared = next((int(r[2]) for r in rows if r[0] is None and r[2] is not None), None)
    return Basis(held=held, declared_id=declared)


@dataclass(frozen=True)
class NewHandover:
    locked: LockedCourier
    service_date: date
    expected_fen: int
    received_fen: int
    declared_id: int | None
    user_id: int
    at: datetime
    op_id: str
    collection_ids: list[int]
    reason: str  # the variance's, when received differs from expected


def write(h: NewHandover) -> tuple[int, int | None]:
    """Append the handover, its items and (for a difference) its variance; their ids."""
    ho_cols = ["courier", "station", "service_date", "expected_fen", "received_fen", "declared"]
    ho_cols += ["confirmed_by", "confirmed_at", "op_id"]
    c = h.locked
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {_t(Handover)} ({', '.join(_c(Handover, f) for f in ho_cols)}) "
            f"VALUES ({', '.join(['%s'] * len(ho_cols))}) RETURNING {_c(Handover, 'id')}",
            (c.courier_id, c.station_id, h.service_date, h.expected_fen, h.received_fen, h.declared_id)
            + (h.user_id, h.at, h.op_id),
        )
        handover_id = int(cur.fetchone()[0])
        if h.collection_ids:
            cur.execute(
                f"INSERT INTO {_t(HandoverItem)} ({_c(HandoverItem, 'handover')}, {_c(HandoverItem, 'collection')}) "
                f"VALUES {', '.join(['(%s, %s)'] * len(h.collection_ids))}",
                [v for pk in h.collection_ids for v in (handover_id, pk)],
            )
        if h.received_fen == h.expected_fen:
            return handover_id, None
        v_cols = ["handover", "courier", "station", "service_date", "amount_fen", "reason"]
        v_cols += ["supervisor_signed_by", "supervisor_signed_at", "courier_note"]
        cur.execute(
            f"INSERT INTO {_t(Variance)} ({', '.join(_c(Variance, f) for f in v_cols)}) "
            f"VALUES ({', '.join(['%s'] * len(v_cols))}) RETURNING {_c(Variance, 'id')}",
            (handover_id, c.courier_id, c.station_id, h.service_date, h.received_fen - h.expected_fen)
            + (h.reason, h.user_id, h.at, ""),
        )
        return handover_id, int(cur.fetchone()[0])
