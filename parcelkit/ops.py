"""The sync ops' payloads: what each op kind carries, defined once for both sides.

The handheld builds payloads with the functions below (``mobile/actions.py``); the server checks
and reads the same field names (``backend/sync/handlers.py``), and accepts only the kinds in
:data:`KINDS` (``backend/sync/ops.py``). The envelope around a payload (op id, device, seq, event
time, kind) is described in docs/sync-protocol.md. Pure Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

KINDS = frozenset(
    {
        "scan",
        "accept",
        "start",
        "arrive",
        "deliver",
        "fail",
        "weigh",
        "location",
        "call_log",
        "propose",
        "cod_declare",
        "cod_sign",
        "incident",
    }
)

# Where the courier was: optional on every kind, read into the service context by the server.
WHERE_FIELDS = ("lat", "lng", "accuracy_m")

SCAN_KINDS = frozenset({"station_in", "sorted", "loaded_out"})

# ``weigh``: the keys of ``payload.pricing`` (the rest of the pickup's quote request).
PRICING_FIELDS = frozenset(
    {"destination_region", "service_level", "cod_amount_fen", "fragile", "remote_area", "tariff_version"}
)

CALL_OUTCOMES = frozenset({"answered", "no_answer", "busy", "rejected", "wrong_number"})


def scan_payload(
    tracking_no: str, scan_kind: str, where: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """``scan``: a tracking number (normalised) and one of :data:`SCAN_KINDS`."""
    return {"tracking_no": tracking_no, "scan_kind": scan_kind, **(where or {})}


def job_payload(
    job_id: int, fields: Mapping[str, Any], where: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """Every job op: ``job_id``, the kind's own fields (the functions below), then where it happened.

    ``accept``, ``start`` and ``arrive`` carry no fields of their own.
    """
    return {"job_id": job_id, **fields, **(where or {})}


def deliver_fields(proof: Mapping[str, Any], media_sha256: list[str]) -> dict[str, Any]:
    """``deliver``: the proof of delivery, with the SHA-256 of its uploaded images.

    A COD parcel's proof carries the collection: ``cod_collected_fen`` (exactly the amount due),
    ``cod_method`` (``cash``, ``wechat``, ``alipay``, ``qr``) and ``cod_payment_ref`` for a mobile payment.
    """
    return {"proof": {**proof, "media_sha256": media_sha256}}


def fail_fields(
    reason_code: str, note: str, next_step: Mapping[str, Any], photo_sha256: list[str]
) -> dict[str, Any]:
    """``fail``: a reason code, a free note, the next step (an object) and photos' SHA-256."""
    return {
        "reason_code": reason_code,
        "note": note,
        "next_step": dict(next_step),
        "photo_sha256": photo_sha256,
    }


def call_log_fields(duration_s: int, outcome: str) -> dict[str, Any]:
    """``call_log``: a call to the recipient, one of :data:`CALL_OUTCOMES`."""
    return {"duration_s": duration_s, "outcome": outcome}


def propose_fields(window_start: str, window_end: str) -> dict[str, Any]:
    """``propose``: the time the courier proposes to the customer (aware ISO 8601, still ahead)."""
    return {"window_start": window_start, "window_end": window_end}


def cod_declare_payload(declared_fen: int) -> dict[str, Any]:
    """``cod_declare``: the cash the courier counts and hands over, in fen; not a job op."""
    return {"declared_fen": declared_fen}


def cod_sign_payload(variance_id: int, note: str = "") -> dict[str, Any]:
    """``cod_sign``: the courier signs a handover's variance (docs/cod.md); not a job op."""
    return {"variance_id": variance_id, "note": note}


# ``incident``: the types a courier may report (the server's playbooks; docs/incidents.md).
INCIDENT_TYPES = frozenset(
    {"loss", "damage", "delay", "misdelivery", "data_leak", "vehicle_accident", "weather_road"}
)


def incident_payload(
    incident_type: str,
    description: str,
    photo_sha256: list[str],
    *,
    job_id: int | None = None,
    shipment_id: int | None = None,
    where: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """``incident``: what happened (one of :data:`INCIDENT_TYPES`), a description and photos'
    SHA-256 (uploaded like proof images); about a job or a shipment, or neither (an accident)."""
    payload: dict[str, Any] = {
        "incident_type": incident_type,
        "description": description,
        "photo_sha256": photo_sha256,
    }
    if job_id is not None:
        payload["job_id"] = job_id
    if shipment_id is not None:
        payload["shipment_id"] = shipment_id
    return {**payload, **(where or {})}


def location_payload(lat: float, lng: float, accuracy_m: float | None = None) -> dict[str, Any]:
    """``location``: a GPS fix; not a job op."""
    payload: dict[str, Any] = {"lat": lat, "lng": lng}
    if accuracy_m is not None:
        payload["accuracy_m"] = accuracy_m
    return payload


# ``weigh``: the pickup's fields (the server's ``PickupInput``) at the top level, and the quote
# request's other fields under ``pricing`` (:data:`PICKUP_ENVELOPE` are the names that are not
# pickup fields).
PICKUP_ENVELOPE = ("job_id", "pricing", *WHERE_FIELDS)
