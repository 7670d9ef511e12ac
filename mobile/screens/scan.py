"""Scan: pickup, station inbound, loaded out, delivery; hardware scanner, camera or keyed in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.devices.handheld import CameraMissing
from mobile.i18n import _
from mobile.scanning.scan_session import ScanMode, ScanResult
from mobile.screens.theme import colour


class ScanScreen(Screen):
    core = ObjectProperty(None)
    mode = StringProperty(ScanMode.DELIVERY.value)
    message = StringProperty("")
    code = StringProperty("")
    tint = ListProperty(list(colour("idle")))
    accepted = NumericProperty(0)
    remaining = NumericProperty(0)
    flagged = NumericProperty(0)

    def on_enter(self, *_args: Any) -> None:
        self.message, self.code, self.tint = _("Ready: scan a parcel"), "", list(colour("idle"))
        self._counts()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.core.start_scan(ScanMode(mode))
        self.on_enter()

    def show(self, result: ScanResult) -> None:
        self.message, self.code = _(result.message), result.code
        self.tint = list(colour(result.feedback.colour))
        self._counts()

    def keyed(self, text: str) -> None:
        if text.strip():
            self.core.handle_scan(text)
        self.ids.manual.text = ""

    def camera(self) -> None:
        try:
            found = self.core.camera_scan()
        except CameraMissing:
            self.message, self.tint = (
                _("No camera on this handheld: use the scanner or key it in"),
                list(colour("warning")),
            )
            self.core.signal_error()
            return
        if not found:
            self.message, self.tint = _("No barcode in the camera image"), list(colour("warning"))

    def _counts(self) -> None:
        session = self.core.scan_session
        if session is not None:
            self.accepted, self.remaining, self.flagged = (
                len(session.accepted),
                session.remaining,
                len(session.flagged),
            )


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
