"""Plain-dict views of a job and a shipment, as carried by the change feed and live messages.

A snapshot is the whole current state of one entity, so a client applies a change by replacing
its copy: no client-side merge logic, and a replayed change is harmless.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.shipments.models import Job, Shipment


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# The columns shipment_snapshot reads; bulk paths fetch just these as plain rows (cheaper than models).
SNAPSHOT_COLUMNS = (
    "id",
    "tracking_no",
    "status",
    "station_id",
    "service_level",
    "destination_region",
    "sender_name",
    "sender_phone",
    "sender_address",
    "recipient_name",
    "recipient_phone",
    "recipient_address",
    "promised_start",
    "promised_end",
    "cod_amount_fen",
    "handling",
    "pieces",
    "measured_weight_g",
    "price_fen",
)


def shipment_snapshot(s: Shipment) -> dict[str, Any]:
    return {
        "id": s.pk,
        "tracking_no": s.tracking_no,
        "status": s.status,
        "station_id": s.station_id,
        "service_level": s.service_level,
        "destination_region": s.destination_region,
        "sender_name": s.sender_name,
        "sender_phone": s.sender_phone,
        "sender_address": s.sender_address,
        "recipient_name": s.recipient_name,
        "recipient_phone": s.recipient_phone,
        "recipient_address": s.recipient_address,
        "promised_start": _iso(s.promised_start),
        "promised_end": _iso(s.promised_end),
        "cod_amount_fen": s.cod_amount_fen,
        "handling": list(s.handling),
        "pieces": s.pieces,
        "measured_weight_g": s.measured_weight_g,
        "price_fen": s.price_fen,
    }


def scan_payload(
    *, shipment_id: int, tracking_no: str, status: str, scan_kind: str, event_id: int
) -> dict[str, Any]:
    """What a scan's feed row carries: the one field a scan can change, not the whole snapshot.

    Station scans are the bulk of all traffic (a parcel is scanned at every hand-over) and change
    nothing but the status, so their rows carry the status and the scan; readers set that one field
    (docs/realtime.md, docs/sync-protocol.md). Every other shipment change carries the snapshot.
    """
    return {
        "shipment_id": shipment_id,
        "tracking_no": tracking_no,
        "status": status,
        "scan": {"kind": scan_kind, "event_id": event_id},
    }


# A job's own fields in every outward shape: the snapshot below, the REST JobOutput
# (api/serializers.py) and the sync pull's first-pull query (sync/selectors.py) all read this list.
JOB_COLUMNS = (
    "id",
    "kind",
    "status",
    "version",
    "station_id",
    "courier_id",
    "service_date",
    "address",
    "lat",
    "lng",
    "window_start",
    "window_end",
    "priority",
    "planned_seq",
    "eta",
    "attempt_count",
    "next_step",
)
_JOB_DATETIMES = frozenset({"window_start", "window_end", "eta"})


def job_snapshot(j: Job) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in JOB_COLUMNS:
        value: Any = j.pk if column == "id" else getattr(j, column)
        if column in _JOB_DATETIMES:
            value = _iso(value)
        elif column == "service_date":
            value = value.isoformat()
        out[column] = value
    out["shipment"] = shipment_snapshot(j.shipment)
    return out
