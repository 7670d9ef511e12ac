"""The core's devices and day data: scale, printer, waybill numbers, tariff book. Plain Python.

A missing device is reported, never papered over: an unplugged scale raises ScaleNotConnected
(the pickup screen shows it and offers manual weight with a reason), an unreachable printer
raises PrinterUnreachable. The connection tests in Settings call the same code the flows do.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mobile.devices.scale import Scale, ScaleError
from mobile.flows.pickup import NetworkPrinter, PickupFlow, PickupJob, PrinterPort
from mobile.offline.store import Store
from mobile.offline.sync import Transport, TransportError
from mobile.offline.waybills import JsonFileBlockStore, WaybillIssuer
from mobile.rules.pricing import TariffBook
from mobile.scanning.camera import StillSource

if TYPE_CHECKING:
    from mobile.core import Config, Core

TARIFF_KEY = "day.tariff_book"
PICKUP_KEY = "day.pickup_details"
# Not in the sync snapshot yet (only in GET /shipments/<no>), but needed to price a pickup offline.
PICKUP_FIELDS = ("sender_name", "sender_phone", "sender_address", "destination_region")
LOW_WATER = 50  # fetch a new waybill block when fewer numbers than this are left
BLOCK_SIZE = 200


class DeviceMissing(Exception):
    """A device the action needs is not there; the screen says which."""


class LazyScale:
    """Opens the serial port on first use and again after a failure (the courier re-plugs it)."""

    def __init__(self, port: str, protocol: str) -> None:
        self.port, self.protocol = port, protocol
        self._scale: Scale | None = None

    def read_stable(self, timeout: float = 5.0) -> int:
        if self._scale is None:
            self._scale = Scale.open(self.port, self.protocol)  # raises ScaleNotConnected
        try:
            return self._scale.read_stable(timeout)
        except ScaleError:
            self._scale.close()
            self._scale = None
            raise


@dataclass
class Devices:
    scale: Any = None  # ScalePort
    scale_model: str = ""
    printer: PrinterPort | None = None
    printer_address: tuple[str, int] | None = None
    issuer: WaybillIssuer | None = None
    camera_path: str = ""
    _camera: StillSource | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, config: Config) -> Devices:
        scale = LazyScale(config.scale_port, config.scale_protocol) if config.scale_port else None
        printer = NetworkPrinter(config.printer_host, config.printer_port) if config.printer_host else None
        address = (config.printer_host, config.printer_port) if config.printer_host else None
        return cls(
            scale=scale,
            scale_model=config.scale_model or ("serial scale" if scale else ""),
            printer=printer,
            printer_address=address,
            camera_path=config.camera_path,
        )

    def camera(self) -> StillSource:
        """The desktop camera stand-in (a still image or a folder of frames); raises when there is none."""
        if self._camera is None:
            if not self.camera_path:
                raise DeviceMissing("no camera configured (PARCELRUN_CAMERA)")
            self._camera = StillSource(self.camera_path)
        return self._camera

    def photo(self) -> tuple[bytes, str]:
        camera = self.camera()
        path = camera.frames[0]
        kind = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
        return path.read_bytes(), kind

    def open_waybills(self, path: Path) -> None:
        self.issuer = WaybillIssuer(JsonFileBlockStore(path))

    def tariff_book(self, store: Store | None) -> TariffBook:
        raw = store.meta(TARIFF_KEY) if store is not None else None
        return TariffBook.from_json(json.loads(raw)) if raw else TariffBook([], version="")

    def pickup_flow(self, job: PickupJob, store: Store | None) -> PickupFlow:
        assert self.issuer is not None
        return PickupFlow(
            job,
            book=self.tariff_book(store),
            issuer=self.issuer,
            scale=self.scale,
            scale_model=self.scale_model if self.scale is not None else "",
            printer=self.printer,
        )

    def test_scale(self) -> tuple[bool, str]:
        """(ok, what to show): a stable reading in grams, or why there is none."""
        if self.scale is None:
            return False, "no scale configured"
        try:
            return True, f"{self.scale.read_stable(3.0)} g"
        except ScaleError as exc:
            return False, str(exc)

    def test_printer(self) -> tuple[bool, str]:
        """Connect and close, printing nothing (a raw-port printer prints whatever it receives)."""
        if self.printer_address is None:
            return False, "no printer configured"
        host, port = self.printer_address
        try:
            with socket.create_connection((host, port), timeout=3.0):
                return True, f"{host}:{port}"
        except OSError as exc:
            return False, f"{host}:{port}: {exc.strerror or exc}"


def fetch_day_data(core: Core, transport: Transport) -> None:
    """Online: the tariff book of the station and a fresh waybill block when the current one runs low."""
    session, store, devices = core.session, core.store, core.devices
    if session is None or store is None:
        return
    code = (session.profile.get("station") or {}).get("code")
    if code:
        reply = transport.request("GET", f"/api/v1/tariffs/{code}")
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
    if devices.issuer is not None and devices.issuer.remaining() < LOW_WATER:
        reply = transport.request(
            "POST", "/api/v1/waybill-blocks", json_body={"device_id": session.device_id, "size": BLOCK_SIZE}
        )
        if reply.status == 201 and isinstance(reply.body, dict):
            body = reply.body
            devices.issuer.add_block(
                block_id=int(body["id"]),
                first_serial=int(body["first_serial"]),
                last_serial=int(body["last_serial"]),
            )


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


def pickup_job(job: dict[str, Any], session: Any) -> PickupJob:
    """The pickup flow's view of a job (sender fields come with newer snapshots; the address otherwise)."""
    s = job["shipment"]
    station = (session.profile.get("station") if session else None) or {}
    return PickupJob(
        job_id=int(job["id"]),
        origin=str(station.get("code") or ""),
        destination_region=str(s.get("destination_region") or ""),
        service_level=str(s.get("service_level") or "standard"),
        sender=(
            str(s.get("sender_name") or ""),
            str(s.get("sender_phone") or ""),
            str(s.get("sender_address") or job.get("address") or ""),
        ),
        recipient=(
            str(s.get("recipient_name") or ""),
            str(s.get("recipient_phone") or ""),
            str(s.get("recipient_address") or ""),
        ),
        tracking_no=str(s.get("tracking_no") or ""),
        cod_amount_fen=int(s.get("cod_amount_fen") or 0),
        fragile="fragile" in (s.get("handling") or []),
    )
