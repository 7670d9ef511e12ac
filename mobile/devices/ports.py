"""The ports the flows use to reach devices: small protocols, nothing else.

A flow gets its scale, printer and label renderer injected (by the core, from mobile/devices/handheld.py)
and knows them only through these protocols, so it runs without hardware: the tests pass fakes.
Every device failure a courier must see is a ``DeviceError`` whose text is shown as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from parcelkit.labels.layout import LabelData


class DeviceError(Exception):
    """A device could not do its job; ``str(exc)`` says why, in words for the courier."""


class PrinterError(DeviceError):
    """The label printer did not take the job (off, out of reach, wrong address)."""


class ScalePort(Protocol):
    def read_stable(self, timeout: float = 5.0) -> int:
        """A stable weight in grams; raises a ``DeviceError`` (ScaleError) when there is none."""
        ...


class PrinterPort(Protocol):
    def send(self, zpl: bytes) -> None:
        """Send one job; raises ``PrinterError``."""
        ...


@dataclass(frozen=True)
class RenderedLabels:
    preview_png: bytes  # the first label, shown on the screen before printing
    zpl: bytes  # every label of the shipment, one after the other


class LabelPort(Protocol):
    def render(self, labels: Sequence[LabelData]) -> RenderedLabels: ...
