"""The raw-port (9100) ZPL label printer behind ``PrinterPort``."""

from __future__ import annotations

from dataclasses import dataclass

from mobile.devices.ports import PrinterError
from parcelkit.labels.printer import RAW_PORT, PrinterUnreachable, send_zpl


@dataclass(frozen=True)
class NetworkPrinter:
    host: str
    port: int = RAW_PORT
    timeout: float = 5.0

    def send(self, zpl: bytes) -> None:
        try:
            send_zpl(self.host, zpl, port=self.port, timeout=self.timeout)
        except PrinterUnreachable as exc:
            raise PrinterError(str(exc)) from exc
