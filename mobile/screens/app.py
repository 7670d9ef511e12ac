"""The Kivy App: builds nothing but the UI around a core it is given, and wires the core's events.

Core events may come from the sync thread; every handler hops to the UI thread with ``mainthread``.
Work that may block (login, sync, scale, printer) goes through ``run_async``: a thread in the
app, inline when ``synchronous`` is set (the UI tests, which also call the backend in-process).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.core.text import DEFAULT_FONT, LabelBase
from kivy.core.window import Window
from kivy.logger import Logger
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager
from kivy.uix.textinput import TextInput

from mobile import fonts, i18n
from mobile.core import Core
from mobile.scanning.scan_session import ScanMode, ScanResult
from mobile.scanning.scanner import wedge_char

SCREENS = (
    "login",
    "today",
    "scan",
    "pickup",
    "deliver",
    "fail",
    "settings",
    "propose",
    "problems",
    "end_of_day",
)
# Where the Android back key (Kivy key 27, Escape on a desktop) leads from each screen; a screen
# with steps of its own (fail) goes back a step first. Today and login stay: back must never send
# the app to the background with a delivery half done (issue 17).
BACK = {
    "scan": "today",
    "pickup": "today",
    "deliver": "today",
    "settings": "today",
    "propose": "deliver",
    "problems": "today",
    "end_of_day": "settings",
}
BACK_KEYS = (27, 1073742094)  # Escape / Android back; SDL's AC_BACK


def register_cjk_font(cache_dir: Path) -> str | None:
    found = fonts.find_cjk_font()
    if found is None:
        Logger.warning("Parcelrun: no CJK font found: Chinese will show as boxes (install fonts-noto-cjk)")
        return None
    # The Simplified Chinese face of a collection, not its first (Japanese) face: issue 17.
    path = fonts.simplified_chinese(found, cache_dir)
    bold = fonts.simplified_chinese(fonts.find_cjk_bold(found), cache_dir)
    LabelBase.register(DEFAULT_FONT, path, fn_bold=bold)
    LabelBase.register("Roboto", path, fn_bold=bold)  # widgets that name Kivy's default font explicitly
    return path


class ParcelrunApp(App):
    lang = StringProperty(i18n.DEFAULT_LANGUAGE)
    online = BooleanProperty(False)
    pending = NumericProperty(0)
    rejected = NumericProperty(0)
    last_sync = StringProperty("—")
    notice = StringProperty("")
    courier_name = StringProperty("")
    synchronous = False

    def __init__(self, core: Core, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.core = core
        self.title = "Parcelrun"
        self.font_path: str | None = None
        self.feedback_log: list[tuple[str, str, int]] = []
        self._manager: Any = None  # (colour, sound, vibrate ms) per scan

    # -- building ------------------------------------------------------------------------------
    def build(self) -> ScreenManager:
        from mobile.screens import widgets  # noqa: F401 - loads the shared rules
        from mobile.screens.deliver import DeliverScreen
        from mobile.screens.end_of_day import EndOfDayScreen
        from mobile.screens.fail import FailScreen
        from mobile.screens.login import LoginScreen
        from mobile.screens.pickup import PickupScreen
        from mobile.screens.problems import ProblemsScreen
        from mobile.screens.propose import ProposeScreen
        from mobile.screens.scan import ScanScreen
        from mobile.screens.settings import SettingsScreen
        from mobile.screens.today import TodayScreen

        self.font_path = register_cjk_font(fonts.cache_dir(Path(self.core.config.data_dir)))
        i18n.set_language(self.lang)
        manager = self._manager = ScreenManager(transition=NoTransition())
        for cls, name in (
            (LoginScreen, "login"),
            (TodayScreen, "today"),
            (ScanScreen, "scan"),
            (PickupScreen, "pickup"),
            (DeliverScreen, "deliver"),
            (FailScreen, "fail"),
            (SettingsScreen, "settings"),
            (ProposeScreen, "propose"),
            (ProblemsScreen, "problems"),
            (EndOfDayScreen, "end_of_day"),
        ):
            manager.add_widget(cls(name=name, core=self.core))
        bus = self.core.bus
        for event in ("jobs", "badge", "notice", "scan", "open", "session", "logout", "language"):
            bus.subscribe(event, getattr(self, f"_on_{event}"))
        Window.bind(on_key_down=self._on_key_down)
        Window.clearcolor = (0.97, 0.97, 0.95, 1)
        Clock.schedule_interval(self._poll_scanner, 0.03)
        manager.current = "login"
        if self.core.resume():
            self._after_login()
            manager.current = self.core.resume_drafts() or "today"  # a flow killed mid-way goes on
            if self.core.call_active is not None:  # killed during a call: ask how it went
                Clock.schedule_once(self.reopen_call, 0)
        return manager

    def screen(self, name: str) -> Any:
        return self._manager.get_screen(name)  # also during build(), before self.root is set

    def go(self, name: str) -> None:
        self._manager.current = name

    def tr(self, message: str, _lang: str | None = None, **fmt: Any) -> str:
        """Translate for kv (``app.tr('…', app.lang)`` re-evaluates when the language changes)."""
        text = i18n.translate(message, self.lang)
        return text.format(**fmt) if fmt else text

    def run_async(self, work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
        if self.synchronous:
            try:
                result, error = work(), None
            except Exception as exc:  # handed to ``done``, which shows it
                result, error = None, exc
            done(result, error)
            return

        def run() -> None:
            try:
                result, error = work(), None
            except Exception as exc:
                result, error = None, exc
            mainthread(done)(result, error)

        threading.Thread(target=run, daemon=True).start()

    # -- commands the screens call -------------------------------------------------------------
    def login(self, employee_no: str, password: str) -> None:
        screen = self.screen("login")
        screen.busy = True
        self.run_async(lambda: self.core.login(employee_no, password), self._login_done)

    def _login_done(self, session: Any, error: BaseException | None) -> None:
        screen = self.screen("login")
        screen.busy = False
        if error is not None:
            screen.error = self.tr(getattr(error, "message", str(error)))
            return
        screen.error = ""
        self._after_login()
        self.go("today")

    def _after_login(self) -> None:
        session = self.core.session
        self.courier_name = session.courier_name if session else ""
        self._on_badge(badge=self.core.badge())
        self.screen("today").refresh()
        if not self.synchronous:
            self.core.start_background()

    def open_job(self, job_id: int | str) -> None:
        job = self.core.job(int(job_id))
        if job is None:
            return
        if job["kind"] == "pickup":
            self.core.begin_pickup(int(job_id))
            self.go("pickup")
        else:
            self.core.begin_delivery(int(job_id))
            self.go("deliver")

    def call(
        self,
        job_id: int | str,
        *,
        hang_up: Callable[[str], Any] | None = None,
        after: Callable[[Any], None] | None = None,
    ) -> Any:
        """Call the job's customer through its virtual number (the panel in mobile/screens/call.py).

        ``hang_up`` ends the call with the tapped outcome (default: record it as a call log op);
        ``after`` gets the measured call. The number is asked off the UI thread.
        """
        from mobile.screens.call import CallPanel

        panel = self.call_panel = CallPanel(
            core=self.core, hang_up=hang_up or self.core.call_end, after=after
        )
        panel.open()
        self.run_async(lambda: self.core.call_start(int(job_id)), panel.started)
        return panel

    def reopen_call(self, *_args: Any) -> Any:
        """The call the app was stopped in (the core recovered it at the start): the same panel,
        already calling, asks how it went and logs it. None when there is no such call."""
        from mobile.screens.call import CallPanel

        call = self.core.call_active
        if call is None:
            return None
        panel = self.call_panel = CallPanel(core=self.core, hang_up=self.core.call_end)
        panel.open()
        panel.started(call, None)
        return panel

    def on_pause(self) -> bool:
        return True  # Android: the phone app in front while calling; keep our state, come back to it

    def on_resume(self) -> None:
        self.core.call_returned()  # the courier hung up in the phone app: the call's time ends here

    def open_scan(self, mode: str) -> None:
        self.core.start_scan(ScanMode(mode))
        self.screen("scan").mode = mode
        self.go("scan")

    def set_language(self, language: str) -> None:
        self.core.set_language(language)

    def sync_now(self) -> None:
        self.run_async(self.core.sync_now, lambda _r, _e: self._on_badge(badge=self.core.badge()))

    # -- scanner keys ----------------------------------------------------------------------------
    def _typing(self) -> bool:
        # A focused text field (login, manual entry) owns the keyboard; the scanner listens otherwise.
        return any(isinstance(w, TextInput) and w.focus for w in self.root.current_screen.walk())

    def back(self) -> None:
        """One screen back (the Android back key, Escape); never out of the app."""
        if self.root is None:
            return
        panel = getattr(self, "call_panel", None)
        if panel is not None and panel.parent is not None:  # the call panel is open: back closes
            if panel.refused:  # only a refusal; a call is ended by its outcome, so it is logged
                panel.close()
            return
        current = self.root.current
        if current == "fail":
            self.screen("fail").back()
        elif current in BACK and not getattr(self.root.current_screen, "logging_out", False):
            self.go(BACK[current])

    def _on_key_down(self, _window: Any, key: int, _scancode: int, codepoint: str | None, mods: Any) -> bool:
        if key in BACK_KEYS:
            self.back()
            return True  # handled: Kivy would otherwise close the app (or pause it on Android)
        if self.root is None or self.root.current not in ("today", "scan", "deliver") or self._typing():
            return False
        char = wedge_char(key, codepoint, mods)
        if char is None:  # a modifier (Shift before a capital), a control key: not part of a scan
            return False
        self.core.key(char)
        return True

    def _poll_scanner(self, _dt: float) -> None:
        if self.root is not None and self.root.current in ("today", "scan", "deliver"):
            self.core.poll_scanner()

    # -- core events (any thread) ------------------------------------------------------------------
    @mainthread
    def _on_jobs(self) -> None:
        self._refresh_jobs()

    def _refresh_jobs(self) -> None:
        self.screen("today").refresh()
        if self.root is not None and self.root.current in ("problems", "end_of_day", "settings"):
            refresh = (
                getattr(self.root.current_screen, "refresh", None) or self.root.current_screen.refresh_ops
            )
            refresh()  # a sync answered: no stale counts on the screen being read
        for name in ("deliver", "propose"):  # a pull may bring the customer's answer
            self.screen(name).show_banner()

    @mainthread
    def _on_badge(self, badge: Any) -> None:
        self.online, self.pending, self.rejected = badge.online, badge.pending, badge.rejected
        self.last_sync = (
            "—"
            if badge.last_sync_at is None
            else datetime.fromtimestamp(badge.last_sync_at, self.core.tz).strftime("%H:%M")
        )
        if self.root is not None and self.root.current == "end_of_day":
            self.screen("end_of_day").refresh()  # its counts and logout warning follow the badge

    @mainthread
    def _on_notice(self, message: str, args: dict[str, Any]) -> None:
        self.notice = self.tr(message, **{k: v for k, v in args.items() if k != "job_id"})
        Clock.schedule_once(lambda _dt: self._clear_notice(self.notice), 8)

    def _clear_notice(self, text: str) -> None:
        if self.notice == text:
            self.notice = ""

    @mainthread
    def _on_scan(self, result: ScanResult) -> None:
        fb = result.feedback
        self.feedback_log.append((fb.colour, fb.sound, fb.vibrate_ms))
        self.screen("scan").show(result)
        if self.root.current != "scan" and result.feedback.colour != "ok":
            self.notice = f"{self.tr(result.message)}: {result.code}"
        if fb.vibrate_ms:
            Logger.info(f"Parcelrun: buzz {fb.sound} {fb.vibrate_ms} ms ({result.verdict})")

    @mainthread
    def _on_open(self, screen: str, job_id: int) -> None:
        if self.root.current == screen:
            self.screen(screen).on_pre_enter()  # a scan on the open screen re-opens it with the parcel
        self.go(screen)

    @mainthread
    def _on_session(self, session: Any) -> None:
        if session is None and self.root is not None:
            self.go("login")

    @mainthread
    def _on_logout(self, state: str, error: str) -> None:
        self.screen("end_of_day").show_logout(state, error)

    @mainthread
    def _on_language(self, language: str) -> None:
        self.lang = language
        self._refresh_jobs()

    def on_stop(self) -> None:
        self.core.stop_background()
