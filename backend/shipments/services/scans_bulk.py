"""Station scans in bulk: the rules of ``services.shipments.scan`` (``scan_rules``), set-based.

A sorting belt or a handheld coming back online sends hundreds of scans at once. Each scan still
becomes exactly one TrackingEvent and one change-feed row, and moves the shipment's status with
the rules of ``scan()`` (a scan that cannot move the status is kept as a fact with
``status_unchanged``). What differs is only how the rows are written:

- the shipments are locked in one ``SELECT … FOR UPDATE`` in id order (the order every bulk
  caller uses, so two bulk ingests cannot deadlock each other);
- events go in with one ``INSERT … SELECT unnest(…) ON CONFLICT (idempotency_key) DO NOTHING``:
  the idempotency key is the op id, so the database itself refuses a scan it already holds, and
  for a synced scan the event is the op's only record (see ``backend/sync/oplog.py``);
- feed rows take one block of cursors (``feed.next_cursors(n)``) and one insert, as the last
  write of the transaction (or of the enclosing ``feed.batch()``). They carry the scan and the
  status, not the shipment's snapshot (``snapshots.scan_payload``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from backend.accounts.roles import Principal
from backend.common import pgbulk
from backend.common.errors import DomainError
from backend.shipments import feed
from backend.shipments.context import CLOCK_SKEW_FLAG_S
from backend.shipments.models import Job, Shipment, TrackingEvent
from backend.shipments.scan_rules import (
    scan_input_check,
    scan_station,
    scan_status,
    wrong_station_details,
    wrong_station_refusal,
)
from backend.shipments.snapshots import scan_payload
from backend.shipments.transitions import JOB_OPEN

MAX_SCANS = 5000


@dataclass(frozen=True)
class ScanInput:
    key: str  # the idempotency key (a sync op id)
    tracking_no: str
    scan_kind: str
    event_at: datetime
    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = None
    op_hash: str = ""  # a synced scan's payload hash (its event is its op-log entry)


@dataclass(slots=True)
class _Event:
    """A tracking event row to insert (a model instance per scan costs more than the insert itself).

    Fields in the column order of ``_EVENT_UNNEST``.
    """

    shipment_id: int
    kind: str
    status_after: str
    station_id: int
    actor_id: int | None
    device_id: str
    event_at: datetime
    received_at: datetime
    lat: float | None
    lng: float | None
    accuracy_m: float | None
    idempotency_key: str
    op_hash: str
    details: dict[str, Any]


@dataclass(frozen=True)
class ScanOutcome:
    key: str
    code: str = ""  # "" when recorded; else the DomainError code of scan()
    message: str = ""
    status_unchanged: bool = False
    duplicate: bool = False


class RecordedMeanwhile(Exception):
    """A key the caller had checked was recorded by another transaction since: run it all again."""


@transaction.atomic
def scans_record_bulk(
    *, scans: list[ScanInput], actor: Principal, device_id: str, checked: bool = False
) -> list[ScanOutcome]:
    """Record many scans; one outcome per input, in input order. Bad scans do not stop good ones.

    ``checked``: the caller has already looked these keys up and found none recorded (a sync push
    does, with the rest of its op log), so the look-up is skipped; the insert's ON CONFLICT still
    guards, and a key recorded meanwhile raises ``RecordedMeanwhile`` (the caller retries).
    """
    if len(scans) > MAX_SCANS:
        raise DomainError("invalid", f"at most {MAX_SCANS} scans at once")
    numbers: dict[int, str] = {}
    outcomes: dict[int, ScanOutcome] = {}
    for i, s in enumerate(scans):
        try:
            numbers[i] = scan_input_check(s.tracking_no, s.scan_kind)
        except DomainError as exc:
            numbers.pop(i, None)
            outcomes[i] = ScanOutcome(s.key, exc.code, exc.message)
    locked = _lock_shipments(set(numbers.values()))
    held: set[str] = (
        set()
        if checked
        else {
            key
            for key in TrackingEvent.objects.filter(
                idempotency_key__in=[scans[i].key for i in numbers]
            ).values_list("idempotency_key", flat=True)
            if key is not None  # the __in filter already excludes NULL; this tells the type checker
        }
    )
    now = timezone.now()
    events: list[_Event] = []
    changed: dict[int, Shipment] = {}
    for i, s in enumerate(scans):
        if i in outcomes:
            continue
        shipment = locked.get(numbers[i])
        if shipment is None:
            outcomes[i] = ScanOutcome(s.key, "not_found", f"shipment {numbers[i]} does not exist")
            continue
        try:
            at = scan_station(actor, shipment.station_id, numbers[i])
        except DomainError as exc:
            outcomes[i] = ScanOutcome(s.key, exc.code, exc.message)
            continue
        if s.key in held:
            outcomes[i] = ScanOutcome(
                s.key, "duplicate_operation", f"operation {s.key} was already recorded", duplicate=True
            )
            continue
        held.add(s.key)
        if at == shipment.station_id:
            target, details = scan_status(shipment.status, s.scan_kind)
        else:  # a mis-sorted parcel: kept as this station's fact, refused to the scanner (scan())
            target, details = None, wrong_station_details(shipment.status, shipment.station_id)
        if target is not None:
            shipment.status = target
            changed[shipment.pk] = shipment
        skew = (now - s.event_at).total_seconds()
        if abs(skew) > CLOCK_SKEW_FLAG_S:
            details["clock_skew_s"] = round(skew)
        events.append(
            _Event(
                shipment.pk,
                s.scan_kind,
                shipment.status,
                at,
                actor.user_id,
                device_id,
                s.event_at,
                now,
                s.lat,
                s.lng,
                s.accuracy_m,
                s.key,
                s.op_hash,
                details,
            )
        )
        if at != shipment.station_id:
            refused = wrong_station_refusal(numbers[i])
            outcomes[i] = ScanOutcome(s.key, refused.code, refused.message, status_unchanged=True)
            continue
        outcomes[i] = ScanOutcome(s.key, status_unchanged=bool(details.get("status_unchanged")))
    if changed:
        _save_statuses(list(changed.values()), now)
    ids = _insert_events(events)
    by_id = {sh.pk: sh for sh in locked.values()}
    feed.append_many(
        [
            # status_after: each row carries the status right after its own scan.
            feed.PendingEntry(
                kind="shipment.scanned",
                station_id=by_id[e.shipment_id].station_id,  # the parcel's, not the scanning station
                shipment_id=e.shipment_id,
                created_at=now,
                courier_id=by_id[e.shipment_id].holder,
                payload=scan_payload(
                    shipment_id=e.shipment_id,
                    tracking_no=by_id[e.shipment_id].tracking_no,
                    status=e.status_after,
                    scan_kind=e.kind,
                    event_id=pk,
                ),
            )
            for e, pk in zip(events, ids, strict=True)
        ]
    )
    return [outcomes[i] for i in range(len(scans))]


def _lock_shipments(numbers: set[str]) -> dict[str, Any]:
    """Lock the scanned shipments in id order; tracking number → a row with what a scan reads and
    ``holder``, the courier holding its open job (to whom ``recording.feed_shipment`` also addresses
    the row; the latest job wins, as there)."""
    if connection.vendor != "postgresql":
        qs = Shipment.objects.select_for_update(no_key=True).filter(tracking_no__in=numbers).order_by("pk")
        locked = {sh.tracking_no: sh for sh in qs.only("id", "tracking_no", "status", "station_id")}
        open_jobs = Job.objects.filter(
            shipment__in=locked.values(), status__in=JOB_OPEN, courier__isnull=False
        )
        holders = dict(open_jobs.order_by("pk").values_list("shipment_id", "courier_id"))
        for sh in locked.values():
            sh.holder = holders.get(sh.pk)  # type: ignore[attr-defined]  # read by the scan rules, not a field
        return locked
    # Binary array parameters: the ORM would quote hundreds of numbers into the SQL text. The
    # holder is a sub-select per row (one index probe each) rather than a second query over
    # ``shipment_id = ANY(…)``, which the planner answers by reading every open job of the station.
    rows = pgbulk.execute(
        f"SELECT s.id, s.tracking_no, s.status, s.station_id, (SELECT j.courier_id FROM {Job._meta.db_table} j "
        "WHERE j.shipment_id = s.id AND j.status = ANY(%b::text[]) AND j.courier_id IS NOT NULL "
        f"ORDER BY j.id DESC LIMIT 1) FROM {Shipment._meta.db_table} s WHERE s.tracking_no = ANY(%b) "
        "ORDER BY s.id FOR UPDATE OF s",
        [[str(s) for s in JOB_OPEN], list(numbers)],
    )
    return {
        number: SimpleNamespace(
            pk=pk, tracking_no=number, status=status, station_id=station_id, holder=holder
        )
        for pk, number, status, station_id, holder in rows
    }


def _save_statuses(shipments: list[Shipment], now: datetime) -> None:
    if connection.vendor == "postgresql":
        pgbulk.execute(
            f"UPDATE {Shipment._meta.db_table} AS s SET status = v.status, updated_at = %b "
            "FROM unnest(%b::bigint[], %b::text[]) AS v(id, status) WHERE s.id = v.id",
            [now, [s.pk for s in shipments], [s.status for s in shipments]],
        )
    else:
        for s in shipments:
            s.updated_at = now
        Shipment.objects.bulk_update(shipments, ["status", "updated_at"])


_EVENT_TYPES = {
    "shipment_id": "bigint",
    "kind": "text",
    "status_after": "text",
    "station_id": "bigint",
    "actor_id": "int",
    "device_id": "text",
    "event_at": "timestamptz",
    "received_at": "timestamptz",
    "lat": "float8",
    "lng": "float8",
    "accuracy_m": "float8",
    "idempotency_key": "text",
    "op_hash": "text",
    "details": "jsonb",
}


def _insert_events(events: list[_Event]) -> list[int]:
    """Insert and return the new ids in input order; a key already held means a concurrent duplicate."""
    if not events:
        return []
    if connection.vendor != "postgresql":
        rows = [TrackingEvent(**{name: getattr(e, name) for name in _Event.__slots__}) for e in events]
        TrackingEvent.objects.bulk_create(rows)
        return [r.pk for r in rows]
    returned = pgbulk.insert_unnest(
        TrackingEvent._meta.db_table,
        [(name, _EVENT_TYPES[name], [getattr(e, name) for e in events]) for name in _Event.__slots__],
        suffix="ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, idempotency_key",
    )
    ids = {key: pk for pk, key in returned}
    if len(ids) != len(events):
        # Another transaction committed one of these keys after the caller looked: roll back, retry.
        raise RecordedMeanwhile("a scan in this batch was recorded concurrently")
    return [ids[e.idempotency_key] for e in events]
