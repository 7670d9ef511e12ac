"""The day's reference data a courier needs offline: the tariff book, pickup details, waybill numbers.

Fetched online by the sync loop after each round and kept in the courier's store (the waybill
blocks in their own file, mobile/offline/waybills.py), so a pickup can be priced and numbered
in a dead zone.
"""

from __future__ import annotations

import json
from typing import Any

from mobile.offline.store import Store
from mobile.offline.sync import Transport, TransportError
from mobile.offline.waybills import WaybillIssuer
from parcelkit.rules.pricing import TariffBook

TARIFF_KEY = "day.tariff_book"
PICKUP_KEY = "day.pickup_details"
# Not in the sync snapshot yet (only in GET /shipments/<no>), but needed to price a pickup offline.
PICKUP_FIELDS = ("sender_name", "sender_phone", "sender_address", "destination_region")
LOW_WATER = 50  # fetch a new waybill block when fewer numbers than this are left
BLOCK_SIZE = 200


def fetch_day_data(
    transport: Transport,
    store: Store,
    *,
    station_code: str | None,
    device_id: str,
    issuer: WaybillIssuer | None,
) -> None:
    """Online: the tariff book of the station, pickup details, a fresh waybill block when running low."""
    if station_code:
        reply = transport.request("GET", f"/api/v1/tariffs/{station_code}")
        if reply.status == 200 and isinstance(reply.body, dict):
            with store.tx():
                store.set_meta(TARIFF_KEY, json.dumps(reply.body["book"], ensure_ascii=False))
        elif reply.status >= 500:
            raise TransportError(f"tariffs: HTTP {reply.status}")
    _fetch_pickup_details(
        store,
        transport,
        [
            j
            for j in store.jobs()
            if j["kind"] == "pickup" and j["status"] not in ("completed", "failed", "cancelled")
        ],
    )
    if issuer is not None and issuer.remaining() < LOW_WATER:
        reply = transport.request(
            "POST", "/api/v1/waybill-blocks", json_body={"device_id": device_id, "size": BLOCK_SIZE}
        )
        if reply.status == 201 and isinstance(reply.body, dict):
            body = reply.body
            issuer.add_block(
                block_id=int(body["id"]),
                first_serial=int(body["first_serial"]),
                last_serial=int(body["last_serial"]),
            )


def tariff_book(store: Store | None) -> TariffBook:
    """The station's tariff book as last fetched; an empty book (every quote refused) before that."""
    raw = store.meta(TARIFF_KEY) if store is not None else None
    return TariffBook.from_json(json.loads(raw)) if raw else TariffBook([], version="")


def pickup_details(store: Store) -> dict[str, dict[str, str]]:
    """Per tracking number, the sender and destination fields fetched for open pickups."""
    raw = store.meta(PICKUP_KEY)
    return dict(json.loads(raw)) if raw else {}


def _fetch_pickup_details(store: Store, transport: Transport, pickups: list[dict[str, Any]]) -> None:
    held = pickup_details(store)
    missing = [
        j["shipment"]["tracking_no"]
        for j in pickups
        if j["shipment"].get("tracking_no")
        and j["shipment"]["tracking_no"] not in held
        and not j["shipment"].get("destination_region")
    ]
    for number in missing:
        reply = transport.request("GET", f"/api/v1/shipments/{number}")
        if reply.status >= 500:
            raise TransportError(f"shipment {number}: HTTP {reply.status}")
        if reply.status == 200 and isinstance(reply.body, dict):
            held[number] = {k: str(reply.body.get(k) or "") for k in PICKUP_FIELDS}
    if missing:
        with store.tx():
            store.set_meta(PICKUP_KEY, json.dumps(held, ensure_ascii=False))
