"""Scanning in the core: reads from the keyboard-wedge scanner or the camera, judged at once.

A scan is judged against the day's jobs in the current mode (mobile/scanning/scan_session.py).
An ok scan is recorded as a scan op in the station modes (arrival, loaded out) and opens its
job's flow at the door in the delivery and pickup modes; the screens hear of both on the bus
(``scan`` with the verdict and feedback, ``open`` with the screen to show).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mobile.core.door import DoorWork
from mobile.core.session import SessionKeeper
from mobile.devices.handheld import Devices
from mobile.devices.location import Locate, where
from mobile.events import EventBus
from mobile.scanning.scan_session import ScanMode, ScanResult, ScanSession, Verdict, expected_for
from mobile.scanning.scanner import WedgeBuffer


class ScanDesk:
    def __init__(
        self,
        sessions: SessionKeeper,
        door: DoorWork,
        *,
        bus: EventBus,
        devices: Devices,
        locate: Locate,
        kick: Callable[[], None],
    ) -> None:
        self.sessions = sessions
        self.door = door
        self.bus = bus
        self.devices = devices
        self.locate = locate
        self.kick = kick  # a station scan op was recorded: push it soon
        self.scanner = WedgeBuffer()
        self.scan_session: ScanSession | None = None
        self.at_door = False  # the Deliver screen is showing: a scan must be its parcel

    def start(self, mode: ScanMode) -> ScanSession:
        session = self.sessions.session
        jobs = [] if self.sessions.store is None else self.sessions.store.jobs()
        self.scan_session = ScanSession(
            mode, expected_for(mode, jobs), session.station_id if session else None
        )
        return self.scan_session

    def key(self, char: str, at: float | None = None) -> ScanResult | None:
        code = self.scanner.feed(char, time.monotonic() if at is None else at)
        return None if code is None else self.handle(code)

    def poll(self, now: float | None = None) -> ScanResult | None:
        code = self.scanner.poll(time.monotonic() if now is None else now)
        return None if code is None else self.handle(code)

    def handle(self, code: str) -> ScanResult:
        """Judge a scan at once; an ok scan is recorded (station modes) or opens its job."""
        session = self.scan_session or self.start(ScanMode.DELIVERY)
        result = session.judge(code)
        if result.verdict is Verdict.OK:
            actions = self.sessions.actions
            job_id = result.job_id
            assert actions is not None and job_id is not None
            if session.mode in (ScanMode.STATION_IN, ScanMode.LOADED_OUT):
                actions.record_scan(result.code, str(session.mode), where(self.locate))
                self.kick()
            elif session.mode is ScanMode.DELIVERY and self._another_parcel_at_the_door(job_id):
                # Issue 17: with one delivery open, another label silently switched jobs. Refused
                # with the error tone; switching is an explicit choice (back to Today, scan it).
                result = session.wrong_parcel(result)
            elif session.mode is ScanMode.DELIVERY:
                self.door.begin_delivery(job_id, scanned=result.code)
                self.bus.emit("open", screen="deliver", job_id=job_id)
            else:
                self.door.begin_pickup(job_id)
                self.bus.emit("open", screen="pickup", job_id=job_id)
        # Heard and felt, not only seen: a short beep, or a long low tone and a buzz (issue 17).
        self.devices.feedback.signal(result.feedback.sound, result.feedback.vibrate_ms)
        self.bus.emit("scan", result=result)
        return result

    def _another_parcel_at_the_door(self, job_id: int) -> bool:
        delivery = self.door.delivery
        return self.at_door and delivery is not None and int(delivery.job["id"]) != job_id

    def camera_scan(self) -> ScanResult | None:
        """Decode the camera's next frame; the first code found is handled like a scanner read.
        Raises CameraMissing when the handheld has no camera (the screen says so in words)."""
        codes = self.devices.camera().next_codes()
        return self.handle(codes[0]) if codes else None
