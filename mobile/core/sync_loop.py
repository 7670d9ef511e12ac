"""The courier's data kept in step with the server: one round on demand and a loop in the background.

A round pushes the outbox, uploads attachments, pulls the feed (mobile/offline/sync.py), then
fetches the day data (tariff book, pickup details, waybill numbers). An offline login's token is
refreshed first. The loop runs a round every ``interval_s``, sooner when an op was recorded or
the live channel (mobile/offline/live.py) rang; the pull — never the push message — brings the
change, and the loop turns what changed into notices for the courier.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mobile.core.auth import LoginError, Session
from mobile.core.session import SessionKeeper
from mobile.events import EventBus
from mobile.i18n import N_
from mobile.offline import outbox, unresolved
from mobile.offline.day_data import fetch_day_data
from mobile.offline.live import LiveChannel
from mobile.offline.sync import AuthError, SyncEngine, SyncReport, Transport, TransportError


@dataclass(frozen=True)
class Badge:
    online: bool
    pending: int
    rejected: int
    last_sync_at: float | None


class SyncLoop:
    def __init__(
        self,
        sessions: SessionKeeper,
        *,
        bus: EventBus,
        connect: Callable[[str], Transport],
        interval_s: float,
        server_url: str,
        live_enabled: bool,
    ) -> None:
        self.sessions = sessions
        self.bus = bus
        self.connect = connect
        self.interval_s = interval_s
        self.server_url = server_url
        self.live_enabled = live_enabled
        self.engine: SyncEngine | None = None
        self.online = False
        self.live: LiveChannel | None = None
        self._lock = threading.Lock()
        self._kick = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self) -> None:
        """A courier's session opened: sync their store with their token."""
        assert self.sessions.store is not None and self.sessions.session is not None
        self.engine = SyncEngine(self.sessions.store, self.connect(self.sessions.session.token))

    def close(self) -> None:
        self.engine = None

    # -- one round ----------------------------------------------------------------------------
    def sync_now(self) -> SyncReport | None:
        """One round (push, upload, pull) plus the day data; None when offline. Safe from any thread."""
        if self.engine is None or self.sessions.session is None:
            return None
        with self._lock:
            before = {j["id"]: j for j in self._jobs()}
            try:
                report = self._round(self.engine)
                self.online = True
            except TransportError:
                self.online = False
                report = None
            except LoginError as exc:
                self.online = True
                self.bus.emit(
                    "notice", message=N_("Your login has expired: log in again"), args={"code": exc.code}
                )
                report = None
            if report is not None:
                self._announce(before, report)
        self.bus.emit("badge", badge=self.badge())
        return report

    def _round(self, engine: SyncEngine) -> SyncReport:
        session = self.sessions.session
        assert session is not None and self.sessions.store is not None
        if session.offline or not session.token:
            session = self._refresh(engine)
        try:
            report = engine.sync_once()
        except AuthError:
            session = self._refresh(engine)
            report = engine.sync_once()
        fetch_day_data(
            self.connect(session.token),
            self.sessions.store,
            station_code=self.sessions.station.get("code"),
            device_id=session.device_id,
            issuer=self.sessions.waybills,
        )
        return report

    def _refresh(self, engine: SyncEngine) -> Session:
        fresh = self.sessions.refresh()
        engine.transport = self.connect(fresh.token)
        return fresh

    def _announce(self, before: dict[int, dict[str, Any]], report: SyncReport) -> None:
        after = {j["id"]: j for j in self._jobs()}
        # The first pull on a fresh handheld brings the whole day: that is not news, job by job.
        for job_id in (after.keys() - before.keys()) if before else ():
            self.bus.emit(
                "notice",
                message=N_("New job assigned: {address}"),
                args={"address": after[job_id].get("address", ""), "job_id": job_id},
            )
        for job_id in before.keys() - after.keys():
            self.bus.emit(
                "notice",
                message=N_("Job taken away: {address}"),
                args={"address": before[job_id].get("address", ""), "job_id": job_id},
            )
        if report.rejected:
            self.bus.emit(
                "notice",
                message=N_("{n} uploads failed: see Problem parcels"),
                args={"n": report.rejected},
            )
        self.bus.emit("jobs")

    def _jobs(self) -> list[dict[str, Any]]:
        store = self.sessions.store
        return [] if store is None else store.jobs()

    # -- status -------------------------------------------------------------------------------
    def pending_count(self) -> int:
        store = self.sessions.store
        return 0 if store is None else outbox.pending_count(store)

    def badge(self) -> Badge:
        store = self.sessions.store
        if store is None or self.engine is None:
            return Badge(self.online, 0, 0, None)
        # Refusals the courier has not yet acknowledged or handed on (mobile/offline/unresolved.py).
        return Badge(
            self.online, self.pending_count(), unresolved.open_count(store), self.engine.last_sync_at
        )

    def recorded(self) -> None:
        """An op was recorded: push it soon (it is already safe in the store) and tell the screens."""
        self._kick.set()
        self.bus.emit("jobs")
        self.bus.emit("badge", badge=self.badge())

    def kick(self) -> None:
        """Run the next round now instead of at the end of the interval."""
        self._kick.set()

    # -- the background loop ------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                self.sync_now()
                self._kick.wait(self.interval_s)
                self._kick.clear()

        self._thread = threading.Thread(target=loop, name="sync", daemon=True)
        self._thread.start()
        if self.live_enabled:
            self.live = LiveChannel(
                self.server_url,
                token=self._live_token,
                on_change=self._kick.set,
                on_revoked=self._live_revoked,
            )
            self.live.start()

    def stop(self) -> None:
        """Stop the live channel and the loop; waits up to 10 s for a round in flight."""
        if self.live is not None:
            self.live.stop()
            self.live = None
        self._stop.set()
        self._kick.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._thread = None

    def _live_token(self) -> str:
        session = self.sessions.session
        # An offline login's token may be stale: the sync loop refreshes it first, then we connect.
        return "" if session is None or session.offline else session.token

    def _live_revoked(self, close_code: int, error_code: str) -> None:
        self.bus.emit(
            "notice",
            message=N_("Your login has expired: log in again"),
            args={"code": error_code or "not_authenticated", "close_code": close_code},
        )
