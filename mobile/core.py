"""The app core the screens bind to: session, store, actions, sync, scanning, flows, devices.

Plain Python, no Kivy: the flow tests drive it exactly as the screens do. The screens read its
state and call its commands (one line each); the core tells them about changes through the
weak-ref event bus (mobile/events.py):

    jobs        the day's jobs changed (a pull, an action)
    badge       online / pending ops / last sync changed
    notice      message=<msgid>, args={...}: a job assigned or taken away, a refused op, a token issue
    scan        result=ScanResult: the verdict and feedback of one scan
    open        screen="deliver"|"pickup", job_id=…: a scan opened a job's flow

Everything that may block (network, scale, printer) is called by the screens off the UI thread.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mobile import i18n, today
from mobile.actions import Actions
from mobile.devices.handheld import Devices, fetch_day_data, pickup_details, pickup_job
from mobile.events import EventBus
from mobile.flows.delivery import DeliveryFlow, Fix
from mobile.flows.failed_attempt import FailedAttemptFlow
from mobile.flows.pickup import PickupFlow
from mobile.i18n import N_
from mobile.offline import outbox
from mobile.offline.live import LiveChannel
from mobile.offline.store import Store
from mobile.offline.sync import AuthError, SyncEngine, SyncReport, Transport, TransportError
from mobile.scanning.scan_session import ScanMode, ScanResult, ScanSession, Verdict, expected_for
from mobile.scanning.scanner import WedgeBuffer
from mobile.session.auth import DeviceAuth, LoginError, Session


class LogoutBlocked(Exception):
    def __init__(self, pending: int) -> None:
        super().__init__(f"{pending} operations are not yet synced")
        self.pending = pending


@dataclass(frozen=True)
class Badge:
    online: bool
    pending: int
    rejected: int
    last_sync_at: float | None


@dataclass
class Config:
    data_dir: Path
    server_url: str = "http://127.0.0.1:8000"
    scale_port: str = ""
    scale_protocol: str = "mtsics"
    scale_model: str = ""
    printer_host: str = ""
    printer_port: int = 9100
    camera_path: str = ""
    sync_interval_s: float = 15.0
    pbkdf2_iterations: int = 200_000
    time_zone: str = "Asia/Shanghai"


def http_connect(config: Config) -> Callable[[str], Transport]:
    from mobile.offline.transport import HttpTransport

    return lambda token: HttpTransport(config.server_url, token, timeout_s=5.0)


class Core:
    def __init__(
        self,
        config: Config,
        *,
        connect: Callable[[str], Transport] | None = None,
        bus: EventBus | None = None,
        locate: Callable[[], Fix | None] = lambda: None,
        devices: Devices | None = None,
        live: bool | None = None,
    ) -> None:
        self.config = config
        self.connect = connect or http_connect(config)
        self.bus = bus or EventBus()
        self.locate = locate
        self.devices = devices or Devices.from_config(config)
        self.auth = DeviceAuth(Path(config.data_dir) / "auth.json", iterations=config.pbkdf2_iterations)
        self.session: Session | None = None
        self.store: Store | None = None
        self.actions: Actions | None = None
        self.engine: SyncEngine | None = None
        self.online = False
        self.scanner = WedgeBuffer()
        self.scan_session: ScanSession | None = None
        self.delivery: DeliveryFlow | None = None
        self.failure: FailedAttemptFlow | None = None
        self.pickup: PickupFlow | None = None
        self._password = ""  # in memory only, to refresh the token once the network is back
        self._sync_lock = threading.Lock()
        self._kick = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The websocket doorbell (mobile/offline/live.py). None: on when the core talks HTTP itself (the
        # app), off when a transport is injected (tests with a fake server have no websocket).
        self.live_enabled = connect is None if live is None else live
        self.live: LiveChannel | None = None

    # -- session -----------------------------------------------------------------------------
    def login(self, employee_no: str, password: str) -> Session:
        session = self.auth.login(employee_no, password, self.connect(""))
        self.online = not session.offline
        self._password = password
        self._open(session)
        if self.online:
            self.sync_now()
        return session

    def resume(self) -> bool:
        """After a restart: the last courier's session if not logged out (a handheld is rarely turned off)."""
        session = self.auth.resumable()
        if session is None:
            return False
        self._open(session)
        return True

    def logout(self, *, force: bool = False) -> None:
        pending = self.pending_count()
        if pending and not force:
            raise LogoutBlocked(pending)
        # Forced: the queued ops stay in this courier's store and go out at the next login.
        if self.online and self.session is not None and self.session.token:
            with contextlib.suppress(TransportError):
                self.connect(self.session.token).request("POST", "/api/v1/auth/logout")
        self.stop_background()
        self.auth.forget_token()
        if self.store is not None:
            self.store.close()
        self.session = self.store = self.actions = self.engine = None
        self._password = ""
        self.bus.emit("session", session=None)

    def _open(self, session: Session) -> None:
        if self.store is not None:
            self.store.close()
        folder = Path(self.config.data_dir) / f"courier-{session.employee_no}"
        folder.mkdir(parents=True, exist_ok=True)
        self.session = session
        self.store = Store(str(folder / "store.sqlite3"), device_id=session.device_id)
        self.actions = Actions(self.store)
        self.engine = SyncEngine(self.store, self.connect(session.token))
        self.devices.open_waybills(folder / "waybills.json")
        self.bus.emit("session", session=session)

    @property
    def tz(self) -> ZoneInfo:
        station = (self.session.profile.get("station") if self.session else None) or {}
        return ZoneInfo(station.get("time_zone") or self.config.time_zone)

    # -- sync --------------------------------------------------------------------------------
    def sync_now(self) -> SyncReport | None:
        """One round (push, upload, pull) plus the day data; None when offline. Safe from any thread."""
        if self.engine is None or self.session is None:
            return None
        with self._sync_lock:
            before = {j["id"]: j for j in self.jobs()}
            try:
                if self.session.offline or not self.session.token:
                    self._refresh_token()
                try:
                    report = self.engine.sync_once()
                except AuthError:
                    self._refresh_token()
                    report = self.engine.sync_once()
                fetch_day_data(self, self.connect(self.session.token))
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

    def _refresh_token(self) -> None:
        assert self.session is not None and self.engine is not None
        if not self._password:
            raise LoginError("token_expired", "log in again")
        fresh = self.auth.login(self.session.employee_no, self._password, self.connect(""))
        if fresh.offline:
            raise TransportError("still offline")
        self.session = fresh
        self.engine.transport = self.connect(fresh.token)

    def _announce(self, before: dict[int, dict[str, Any]], report: SyncReport) -> None:
        after = {j["id"]: j for j in self.jobs()}
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
                "notice", message=N_("{n} operations were refused: see Settings"), args={"n": report.rejected}
            )
        self.bus.emit("jobs")

    def start_background(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                self.sync_now()
                self._kick.wait(self.config.sync_interval_s)
                self._kick.clear()

        self._thread = threading.Thread(target=loop, name="sync", daemon=True)
        self._thread.start()
        if self.live_enabled:
            self.live = LiveChannel(
                self.config.server_url,
                token=self._live_token,
                on_change=self._kick.set,
                on_revoked=self._live_revoked,
            )
            self.live.start()

    def _live_token(self) -> str:
        session = self.session
        # An offline login's token may be stale: the sync loop refreshes it first, then we connect.
        return "" if session is None or session.offline else session.token

    def _live_revoked(self, close_code: int, error_code: str) -> None:
        self.bus.emit(
            "notice",
            message=N_("Your login has expired: log in again"),
            args={"code": error_code or "not_authenticated", "close_code": close_code},
        )

    def stop_background(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
        self._stop.set()
        self._kick.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        self._thread = None

    def _recorded(self) -> None:
        self._kick.set()  # push soon; the op is already safe in the store
        self.bus.emit("jobs")
        self.bus.emit("badge", badge=self.badge())

    # -- what the screens show ----------------------------------------------------------------
    def jobs(self) -> list[dict[str, Any]]:
        return [] if self.store is None else self.store.jobs()

    def job(self, job_id: int) -> dict[str, Any] | None:
        return None if self.store is None else self.store.job(job_id)

    def today(self) -> tuple[list[today.Row], today.Counts]:
        jobs = self.jobs()
        return today.rows(jobs, self.tz), today.counts(jobs)

    def pending_count(self) -> int:
        return 0 if self.store is None else outbox.pending_count(self.store)

    def badge(self) -> Badge:
        if self.store is None or self.engine is None:
            return Badge(self.online, 0, 0, None)
        return Badge(
            self.online, self.pending_count(), len(outbox.rejected(self.store)), self.engine.last_sync_at
        )

    def pending_ops(self) -> list[outbox.OutboxOp]:
        """Queued and rejected ops (rejected ones carry the server's code and message)."""
        if self.store is None:
            return []
        return [o for o in outbox.all_ops(self.store) if o.state in ("queued", "rejected")]

    def set_language(self, language: str) -> None:
        i18n.set_language(language)
        self.bus.emit("language", language=language)

    # -- scanning ----------------------------------------------------------------------------
    def start_scan(self, mode: ScanMode) -> ScanSession:
        my_station = self.session.station_id if self.session else None
        self.scan_session = ScanSession(mode, expected_for(mode, self.jobs()), my_station)
        return self.scan_session

    def key(self, char: str, at: float | None = None) -> ScanResult | None:
        code = self.scanner.feed(char, time.monotonic() if at is None else at)
        return None if code is None else self.handle_scan(code)

    def poll_scanner(self, now: float | None = None) -> ScanResult | None:
        code = self.scanner.poll(time.monotonic() if now is None else now)
        return None if code is None else self.handle_scan(code)

    def handle_scan(self, code: str) -> ScanResult:
        """Judge a scan at once; an ok scan is recorded (station modes) or opens its job."""
        session = self.scan_session or self.start_scan(ScanMode.DELIVERY)
        result = session.judge(code)
        if result.verdict is Verdict.OK:
            assert self.actions is not None and result.job_id is not None
            if session.mode in (ScanMode.STATION_IN, ScanMode.LOADED_OUT):
                self.actions.record_scan(result.code, str(session.mode), self._where())
                self._kick.set()
            elif session.mode is ScanMode.DELIVERY:
                self.begin_delivery(result.job_id, scanned=result.code)
                self.bus.emit("open", screen="deliver", job_id=result.job_id)
            else:
                self.begin_pickup(result.job_id)
                self.bus.emit("open", screen="pickup", job_id=result.job_id)
        self.bus.emit("scan", result=result)
        return result

    def _where(self) -> dict[str, float] | None:
        fix = self.locate()
        if fix is None:
            return None
        where = {"lat": fix[0], "lng": fix[1]}
        if fix[2] is not None:
            where["accuracy_m"] = fix[2]
        return where

    def camera_scan(self) -> ScanResult | None:
        """Decode the camera's next frame; the first code found is handled like a scanner read."""
        codes = self.devices.camera().next_codes()
        return self.handle_scan(codes[0]) if codes else None

    def take_photo(self) -> tuple[bytes, str]:
        return self.devices.photo()

    # -- delivery, failed attempt, pickup -----------------------------------------------------
    def _job_or_fail(self, job_id: int) -> dict[str, Any]:
        job = self.job(job_id)
        if job is None:
            raise KeyError(job_id)
        return job

    def begin_delivery(self, job_id: int, scanned: str = "") -> DeliveryFlow:
        self.delivery = DeliveryFlow(self._job_or_fail(job_id), scanned=scanned, locate=self.locate)
        return self.delivery

    def finish_delivery(self) -> str:
        assert self.actions is not None and self.delivery is not None
        proof, files, where = self.delivery.result()
        job_id = int(self.delivery.job["id"])
        self._ensure_started(job_id, where)
        op_id = self.actions.record_deliver(job_id, proof, files=files, where=where)
        self.delivery = None
        self._recorded()
        return op_id

    def _ensure_started(self, job_id: int, where: dict[str, float] | None) -> None:
        """The server completes only a started job; a courier at the door may never have pressed "start"."""
        job = self.job(job_id)
        if self.actions is not None and job is not None and job["status"] in ("assigned", "accepted"):
            self.actions.record_start(job_id, where)

    def begin_fail(self, job_id: int) -> FailedAttemptFlow:
        codes = [r["code"] for r in (self.store.reference("reason_codes") or [])] if self.store else []
        self.failure = FailedAttemptFlow(self._job_or_fail(job_id), reason_codes=codes or None)
        return self.failure

    def finish_fail(self) -> str:
        assert self.actions is not None and self.failure is not None
        flow, job_id = self.failure, int(self.failure.job["id"])
        where = self._where()
        self._ensure_started(job_id, where)
        for call in flow.draft.calls:
            self.actions.record_call(job_id, call.duration_s, call.outcome)
        op_id = self.actions.record_fail(
            job_id,
            flow.draft.reason,
            flow.draft.note,
            flow.next_step(),
            photos=flow.draft.photos,
            where=where,
        )
        self.failure = None
        self._recorded()
        return op_id

    def begin_pickup(self, job_id: int) -> PickupFlow:
        job = self._job_or_fail(job_id)
        assert self.store is not None
        details = pickup_details(self.store).get(job["shipment"].get("tracking_no") or "", {})
        job = {**job, "shipment": {**details, **{k: v for k, v in job["shipment"].items() if v}}}
        self.pickup = self.devices.pickup_flow(pickup_job(job, self.session), self.store)
        return self.pickup

    def finish_pickup(self) -> str:
        assert self.actions is not None and self.pickup is not None
        payload = self.pickup.payload()
        job_id, where = int(payload["job_id"]), self._where()
        self._ensure_started(job_id, where)
        op_id = self.actions.record_weigh(job_id, {**payload["pickup"], "pricing": payload["pricing"]}, where)
        self.pickup = None
        self._recorded()
        return op_id
