"""The core the screens bind to: a thin façade over the parts in mobile/core/.

Plain Python, no Kivy: the flow tests drive it exactly as the screens do. The screens read its
state and call its commands (one line each); each command is handed to the part that owns it:

    session.py     SessionKeeper  login (online or offline), resume, token refresh, log out
    sync_loop.py   SyncLoop       one sync round on demand, the background loop, the live channel, the badge
    scan_desk.py   ScanDesk       scanner and camera reads judged at once, recorded or opening a job
    door.py        DoorWork       delivery, failed attempt and pickup at the door (flows + their ops)
    calling.py     CallDesk       calling the customer through a virtual number, the call measured and logged

Proposing a time to the customer (``proposal_slots``, ``propose``) and the job's negotiation
banner (``banner``) come from mobile/negotiation.py and the courier's actions directly.

The core tells the screens about changes through the weak-ref event bus (mobile/events.py):

    jobs        the day's jobs changed (a pull, an action)
    badge       online / pending ops / last sync changed
    notice      message=<msgid>, args={...}: a job assigned or taken away, a refused op, a token issue
    scan        result=ScanResult: the verdict and feedback of one scan
    open        screen="deliver"|"pickup", job_id=…: a scan opened a job's flow
    session     session=Session|None: logged in, or logged out
    logout      state="started"|"done"|"failed", error=…: a log out running in the background
    language    language=…: the courier switched the language

Everything that may block (network, scale, printer) is called by the screens off the UI thread;
log out runs in the background by itself (``logout_in_background``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mobile import end_of_day, i18n, negotiation, reschedule, today
from mobile.actions import Actions
from mobile.core.auth import DeviceAuth, Session
from mobile.core.calling import ActiveCall, CallDesk, MeasuredCall
from mobile.core.config import Config, devices_from_config, http_connect
from mobile.core.door import DoorWork
from mobile.core.scan_desk import ScanDesk
from mobile.core.session import LogoutBlocked, SessionKeeper
from mobile.core.sync_loop import Badge, SyncLoop
from mobile.devices.handheld import CameraMissing, Devices
from mobile.devices.location import Locate
from mobile.events import EventBus
from mobile.flows.delivery import DeliveryFlow
from mobile.flows.failed_attempt import FailedAttemptFlow
from mobile.flows.pickup import PickupFlow
from mobile.offline import outbox, unresolved
from mobile.offline.live import LiveChannel
from mobile.offline.store import Store
from mobile.offline.sync import SyncEngine, SyncReport, Transport
from mobile.offline.waybills import WaybillIssuer
from mobile.scanning.scan_session import ScanMode, ScanResult, ScanSession

__all__ = ["Badge", "Config", "Core", "LogoutBlocked"]


def in_a_thread(work: Callable[[], None], name: str) -> None:
    threading.Thread(target=work, name=name, daemon=True).start()


class Core:
    def __init__(
        self,
        config: Config,
        *,
        connect: Callable[[str], Transport] | None = None,
        bus: EventBus | None = None,
        locate: Locate = lambda: None,
        devices: Devices | None = None,
        live: bool | None = None,
        background: Callable[[Callable[[], None], str], None] = in_a_thread,
    ) -> None:
        self.config = config
        self.connect = connect or http_connect(config)
        self.bus = bus or EventBus()
        self.locate = locate
        self.devices = devices or devices_from_config(config)
        self.background = background  # runs the log out; the UI tests run it inline
        self.auth = DeviceAuth(Path(config.data_dir) / "auth.json", iterations=config.pbkdf2_iterations)
        self.sessions = SessionKeeper(Path(config.data_dir), self.auth, self.connect)
        # The websocket doorbell (mobile/offline/live.py). None: on when the core talks HTTP itself (the
        # app), off when a transport is injected (tests with a fake server have no websocket).
        self.sync = SyncLoop(
            self.sessions,
            bus=self.bus,
            connect=self.connect,
            interval_s=config.sync_interval_s,
            server_url=config.server_url,
            live_enabled=connect is None if live is None else live,
        )
        self.door = DoorWork(self.sessions, devices=self.devices, locate=locate, recorded=self.sync.recorded)
        self.calls = CallDesk(
            self.sessions, dialer=self.devices.dialer, connect=self.connect, recorded=self.sync.recorded
        )
        self.scanning = ScanDesk(
            self.sessions, self.door, bus=self.bus, devices=self.devices, locate=locate, kick=self.sync.kick
        )

    # -- session -----------------------------------------------------------------------------
    def login(self, employee_no: str, password: str) -> Session:
        session = self.sessions.login(employee_no, password)
        self.sync.online = not session.offline
        self._opened(session)
        if self.sync.online:
            self.sync_now()
        return session

    def resume(self) -> bool:
        """After a restart: the last courier's session if not logged out (a handheld is rarely turned off)."""
        session = self.sessions.resume()
        if session is None:
            return False
        self._opened(session)
        return True

    def resume_drafts(self) -> str | None:
        """The flow left half done before a crash or kill, resumed from its draft: the screen to show."""
        return self.door.resume_drafts()

    def logout(self, *, force: bool = False) -> None:
        """Log out now (blocks on the network and the sync thread); LogoutBlocked while ops wait, unless forced."""
        self._check_logout(force)
        # Forced: the queued ops stay in this courier's store and go out at the next login.
        if self.sync.online:
            self.sessions.revoke()
        self.sync.stop()
        self.sync.close()
        self.sessions.close()
        self.bus.emit("session", session=None)

    def logout_in_background(self, *, force: bool = False) -> None:
        """The screens' log out: refused at once (LogoutBlocked), else done off the caller's thread.

        The server call and the wait for the sync thread can take seconds; ``logout`` events say
        when it started and ended, and ``session`` (None) follows as with ``logout``.
        """
        self._check_logout(force)
        self.bus.emit("logout", state="started", error="")

        def work() -> None:
            try:
                self.logout(force=True)  # checked above; ops recorded since then stay queued
            except Exception as exc:  # reported to the screen, which shows it
                self.bus.emit("logout", state="failed", error=f"{type(exc).__name__}: {exc}")
                return
            self.bus.emit("logout", state="done", error="")

        self.background(work, "logout")

    def _check_logout(self, force: bool) -> None:
        pending, open_refusals = self.pending_count(), self.open_problem_count()
        if (pending or open_refusals) and not force:
            raise LogoutBlocked(pending, open_refusals)

    def _opened(self, session: Session) -> None:
        self.calls.recover()  # a call the app was stopped in (killed while the phone app was in front)
        self.sync.open()
        self.bus.emit("session", session=session)

    @property
    def session(self) -> Session | None:
        return self.sessions.session

    @property
    def store(self) -> Store | None:
        return self.sessions.store

    @property
    def actions(self) -> Actions | None:
        return self.sessions.actions

    @property
    def waybills(self) -> WaybillIssuer | None:
        return self.sessions.waybills

    @property
    def tz(self) -> ZoneInfo:
        return self.sessions.tz(self.config.time_zone)

    # -- sync --------------------------------------------------------------------------------
    def sync_now(self) -> SyncReport | None:
        """One round (push, upload, pull) plus the day data; None when offline. Safe from any thread."""
        return self.sync.sync_now()

    def start_background(self) -> None:
        self.sync.start()

    def stop_background(self) -> None:
        self.sync.stop()

    @property
    def online(self) -> bool:
        return self.sync.online

    @property
    def engine(self) -> SyncEngine | None:
        return self.sync.engine

    @property
    def live(self) -> LiveChannel | None:
        return self.sync.live

    # -- what the screens show ----------------------------------------------------------------
    def jobs(self) -> list[dict[str, Any]]:
        return [] if self.store is None else self.store.jobs()

    def job(self, job_id: int) -> dict[str, Any] | None:
        return None if self.store is None else self.store.job(job_id)

    def today(self) -> tuple[list[today.Row], today.Counts]:
        jobs = self.jobs()
        return today.rows(jobs, self.tz, datetime.now(UTC)), today.counts(jobs)

    def banner(self, job_id: int) -> negotiation.Banner | None:
        """The job's question to the customer and its answer, for the job's screen (None: nothing)."""
        job = self.job(job_id)
        return None if job is None else negotiation.banner(job, self.tz, datetime.now(UTC))

    def pending_count(self) -> int:
        return self.sync.pending_count()

    def badge(self) -> Badge:
        return self.sync.badge()

    def pending_ops(self) -> list[outbox.OutboxOp]:
        """Queued and rejected ops (rejected ones carry the server's code and message)."""
        if self.store is None:
            return []
        return [o for o in outbox.all_ops(self.store) if o.state in ("queued", "rejected")]

    # -- 异常件 / 未上传数据, and the end of the day ---------------------------------------------
    def problems(self) -> list[unresolved.Problem]:
        """Refused and not-yet-uploaded parcel actions (mobile/offline/unresolved.py)."""
        return [] if self.store is None else unresolved.problems(self.store)

    def open_problem_count(self) -> int:
        return 0 if self.store is None else unresolved.open_count(self.store)

    def resolve_problem(self, op_id: str, how: str) -> None:
        """Acknowledge a refusal or hand it to the supervisor; the op and its proof stay on the handheld."""
        assert self.store is not None, "log in first"
        unresolved.resolve(self.store, op_id, how, datetime.now(UTC))
        self.bus.emit("badge", badge=self.badge())

    def end_of_day(self) -> end_of_day.Summary:
        return end_of_day.summary(self.jobs(), self.problems(), self.pending_count())

    def set_language(self, language: str) -> None:
        i18n.set_language(language)
        self.bus.emit("language", language=language)

    # -- scanning ----------------------------------------------------------------------------
    def start_scan(self, mode: ScanMode) -> ScanSession:
        return self.scanning.start(mode)

    def key(self, char: str, at: float | None = None) -> ScanResult | None:
        return self.scanning.key(char, at)

    def poll_scanner(self, now: float | None = None) -> ScanResult | None:
        return self.scanning.poll(now)

    def at_door(self, showing: bool) -> None:
        """The Deliver screen shows (or left): while it does, another parcel's scan is refused."""
        self.scanning.at_door = showing

    def handle_scan(self, code: str) -> ScanResult:
        """Judge a scan at once; an ok scan is recorded (station modes) or opens its job."""
        return self.scanning.handle(code)

    def camera_scan(self) -> ScanResult | None:
        """Decode the camera's next frame; the first code found is handled like a scanner read."""
        return self.scanning.camera_scan()

    @property
    def scan_session(self) -> ScanSession | None:
        return self.scanning.scan_session

    def take_photo(self) -> tuple[bytes, str] | None:
        """A photo from the camera; None when the handheld has none (never a crash: issue 17)."""
        try:
            return self.devices.photo()
        except CameraMissing:
            self.signal_error()
            return None

    def signal_ok(self) -> None:
        self.devices.feedback.signal("ok", 0)

    def signal_error(self) -> None:
        """A refusal the courier must notice: the long low tone and a buzz, as for a bad scan."""
        self.devices.feedback.signal("error", 400)

    # -- proposing a time to the customer ------------------------------------------------------
    def proposal_slots(self) -> list[negotiation.Slot]:
        """The times the courier may propose: every 30 min from now, station time, within the shift."""
        courier = (self.session.profile.get("courier") if self.session else None) or {}
        return negotiation.proposal_slots(
            datetime.now(UTC),
            self.tz,
            str(courier.get("shift_start") or self.config.shift_start),
            str(courier.get("shift_end") or self.config.shift_end),
        )

    def reschedule_days(self) -> list[reschedule.Day]:
        """The days offered for 另约时间段: today, tomorrow, the day after (station time)."""
        return reschedule.days(datetime.now(UTC), self.tz)

    def reschedule_slots(self, day: date) -> list[reschedule.Slot]:
        """That day's two-hour slots inside the courier's shift, none already begun."""
        courier = (self.session.profile.get("courier") if self.session else None) or {}
        return reschedule.slots(
            day,
            datetime.now(UTC),
            self.tz,
            str(courier.get("shift_start") or self.config.shift_start),
            str(courier.get("shift_end") or self.config.shift_end),
        )

    def propose(self, job_id: int, slot: negotiation.Slot) -> str:
        """Record a ``propose`` op (offline too); the job shows "proposed, waiting" at once."""
        actions = self.actions
        assert actions is not None, "log in first"
        op_id = actions.record_propose(job_id, slot.start, slot.end)
        self.sync.recorded()
        return op_id

    # -- calling the customer (through a virtual number) ------------------------------------------
    def call_start(self, job_id: int) -> ActiveCall:
        """Get the job's virtual number and dial it (blocks on the network); raises CallUnavailable."""
        return self.calls.start(job_id)

    def call_returned(self) -> None:
        """The app is in the foreground again (Android: the courier hung up in the phone app)."""
        self.calls.returned()

    def call_end(self, outcome: str) -> MeasuredCall:
        """Hang up with the outcome and record the measured call (Today, Deliver)."""
        return self.calls.end(outcome)

    def call_hang_up(self, outcome: str) -> MeasuredCall:
        """Hang up with the outcome, not recorded: the failed attempt keeps it in its draft."""
        return self.calls.hang_up(outcome)

    @property
    def call_active(self) -> ActiveCall | None:
        return self.calls.active

    # -- delivery, failed attempt, pickup -----------------------------------------------------
    def begin_delivery(self, job_id: int, scanned: str = "") -> DeliveryFlow:
        return self.door.begin_delivery(job_id, scanned)

    def finish_delivery(self) -> str:
        return self.door.finish_delivery()

    def begin_fail(self, job_id: int) -> FailedAttemptFlow:
        return self.door.begin_fail(job_id)

    def finish_fail(self) -> str:
        return self.door.finish_fail()

    def abandon_fail(self) -> None:
        self.door.abandon_fail()

    def begin_pickup(self, job_id: int) -> PickupFlow:
        return self.door.begin_pickup(job_id)

    def finish_pickup(self) -> str:
        return self.door.finish_pickup()

    @property
    def delivery(self) -> DeliveryFlow | None:
        return self.door.delivery

    @property
    def failure(self) -> FailedAttemptFlow | None:
        return self.door.failure

    @property
    def pickup(self) -> PickupFlow | None:
        return self.door.pickup
