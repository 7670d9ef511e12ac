"""Shipment-level changes that are not a courier's job: scans at hand-overs and supervisor decisions."""

from __future__ import annotations

from django.db import transaction

from backend.common.errors import DomainError
from backend.shipments import transitions
from backend.shipments.context import Ctx
from backend.shipments.models import Shipment, TrackingEvent
from backend.shipments.scan_rules import (
    scan_input_check,
    scan_station,
    scan_status,
    wrong_station_details,
    wrong_station_refusal,
)
from backend.shipments.services.recording import (
    feed_shipment,
    lock_shipment,
    record_event,
    require_station_staff,
    save_shipment,
)
from backend.shipments.snapshots import scan_payload
from backend.shipments.states import EventKind
from backend.shipments.states import ShipmentStatus as S

# The event each manual transition records.
_EVENT_FOR: dict[S, EventKind] = {
    S.PICKED_UP: EventKind.PICKUP_SCAN,
    S.AT_STATION: EventKind.STATION_IN,
    S.OUT_FOR_DELIVERY: EventKind.LOADED_OUT,
    S.DELIVERED: EventKind.DELIVERED,
    S.DELIVERY_FAILED: EventKind.DELIVERY_ATTEMPT,
    S.HELD: EventKind.HELD,
    S.RETURNING: EventKind.RETURNING,
    S.RETURNED: EventKind.RETURNED,
    S.EXCEPTION: EventKind.EXCEPTION,
    S.CANCELLED: EventKind.CANCELLED,
}


@transaction.atomic
def shipment_transition(*, shipment_id: int, to: str, ctx: Ctx, reason: str) -> Shipment:
    """A supervisor's decision on a shipment (hold, return, exception, cancel, back to station…)."""
    if not reason.strip():
        raise DomainError("invalid", "a reason is required")
    if to not in S.values:
        raise DomainError("invalid", f"{to!r} is not a shipment status")
    target = S(to)
    shipment = lock_shipment(shipment_id=shipment_id)
    require_station_staff(ctx, shipment.station_id)
    transitions.check_shipment(shipment.status, target)
    shipment.status = target
    save_shipment(shipment, ["status"])
    record_event(ctx, shipment=shipment, kind=_EVENT_FOR[target], details={"reason": reason})
    feed_shipment("shipment.updated", shipment)
    return shipment


def scan(*, tracking_no: str, scan_kind: str, ctx: Ctx) -> TrackingEvent:
    """Record a hand-over scan. Scans are facts: recorded even when they cannot move the status.

    A station scan that arrives after a later status (a late upload from a handheld) is kept
    with ``status_unchanged`` rather than refused, so the history is complete. The rules are
    ``backend/shipments/scan_rules.py``, shared with ``scans_record_bulk``. Each scan records the
    station it was made at (the scanner's). A scan by a courier or supervisor of another station
    (a mis-sorted parcel) is committed as a fact of that station, moving nothing, and *then*
    refused to the scanner (``permission_denied``, as before): they learn nothing of the parcel.
    """
    event = _scan(tracking_no, scan_kind, ctx)
    if event.details.get("wrong_station"):
        raise wrong_station_refusal(event.shipment.tracking_no)
    return event


@transaction.atomic
def _scan(tracking_no: str, scan_kind: str, ctx: Ctx) -> TrackingEvent:
    number = scan_input_check(tracking_no, scan_kind)
    shipment = lock_shipment(tracking_no=number)
    at = scan_station(ctx.actor, shipment.station_id, number)
    if at == shipment.station_id:
        target, details = scan_status(shipment.status, scan_kind)
    else:
        target, details = None, wrong_station_details(shipment.status, shipment.station_id)
    if target is not None:
        shipment.status = target
        save_shipment(shipment, ["status"])
    event = record_event(ctx, shipment=shipment, kind=scan_kind, details=details, station_id=at)
    feed_shipment(  # to the parcel's station (and its courier), never to the station that scanned it
        "shipment.scanned",
        shipment,
        scan_payload(
            shipment_id=shipment.pk,
            tracking_no=shipment.tracking_no,
            status=shipment.status,
            scan_kind=scan_kind,
            event_id=event.pk,
        ),
    )
    return event
