"""The devices attached to this handheld: scale, label printer and renderer, camera, dialer. Plain Python.

A missing device is reported, never papered over: an unplugged scale raises ScaleNotConnected
(the pickup screen shows it and offers manual weight with a reason), an unreachable printer
raises PrinterError. The connection tests in Settings call the same code the flows do.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from mobile.devices.dialer import DialerPort, LoggedDialer
from mobile.devices.feedback import FeedbackPort, LoggedFeedback
from mobile.devices.label_renderer import ZplLabelRenderer
from mobile.devices.ports import LabelPort, PrinterPort, ScalePort
from mobile.devices.scale import Scale, ScaleError
from mobile.scanning.camera import StillSource


class DeviceMissing(Exception):
    """A device the action needs is not there; the screen says which."""


class CameraMissing(DeviceMissing):
    """No camera on this handheld (none configured, none found, or it failed to open).

    The flows never crash on it: a failed attempt goes on with a reason and no photo, marked for
    the supervisor; a delivery takes another proof (issue 17)."""


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
    scale: ScalePort | None = None
    scale_model: str = ""
    printer: PrinterPort | None = None
    printer_address: tuple[str, int] | None = None
    labels: LabelPort = field(default_factory=ZplLabelRenderer)
    camera_path: str = ""
    feedback: FeedbackPort = field(default_factory=LoggedFeedback)
    dialer: DialerPort = field(default_factory=LoggedDialer)
    _camera: StillSource | None = field(default=None, repr=False)

    def camera(self) -> StillSource:
        """The desktop camera stand-in (a still image or a folder of frames); raises when there is none."""
        if self._camera is None:
            if not self.camera_path:
                raise CameraMissing("no camera configured (PARCELRUN_CAMERA)")
            try:
                self._camera = StillSource(self.camera_path)
            except OSError as exc:  # the configured image or folder is gone
                raise CameraMissing(str(exc)) from exc
        return self._camera

    def photo(self) -> tuple[bytes, str]:
        camera = self.camera()
        path = camera.frames[0]
        kind = "image/png" if path.suffix.lower() == ".png" else "image/jpeg"
        return path.read_bytes(), kind

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
