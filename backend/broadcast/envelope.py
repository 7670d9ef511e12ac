"""The versioned envelope every live message travels in (see docs/realtime.md)."""

from __future__ import annotations

from typing import Any

ENVELOPE_VERSION = 1


def envelope(type_: str, cursor: int | None, at: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": type_, "v": ENVELOPE_VERSION, "cursor": cursor, "at": at, "payload": payload}


def courier_group(courier_id: int) -> str:
    return f"courier.{courier_id}"


def station_group(station_id: int) -> str:
    return f"station.{station_id}"


def shipment_group(shipment_id: int) -> str:
    return f"shipment.{shipment_id}"
