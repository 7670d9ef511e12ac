"""Settings and diagnostics: language, scale and printer tests, pending and rejected ops, log out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.core import LogoutBlocked
from mobile.i18n import _


class SettingsScreen(Screen):
    core = ObjectProperty(None)
    scale_result = StringProperty("")
    printer_result = StringProperty("")
    ops = StringProperty("")
    logout_warning = StringProperty("")
    confirm_force = BooleanProperty(False)
    logging_out = BooleanProperty(False)
    sync_error = StringProperty("")

    def on_pre_enter(self, *_args: Any) -> None:
        self.logout_warning, self.confirm_force = "", False
        self.refresh_ops()

    def refresh_ops(self) -> None:
        lines = []
        for op in self.core.pending_ops():
            state = _("Refused") if op.state == "rejected" else _("Waiting")
            reason = f" — {op.code}: {op.message}" if op.state == "rejected" else ""
            lines.append(f"#{op.seq} {op.kind} {state}{reason}")
        self.ops = "\n".join(lines) or _("Nothing waiting")

    def test_scale(self) -> None:
        self.scale_result = _("Testing…")
        self._app().run_async(self.core.devices.test_scale, lambda r, e: self._show("scale_result", r, e))

    def test_printer(self) -> None:
        self.printer_result = _("Testing…")
        self._app().run_async(self.core.devices.test_printer, lambda r, e: self._show("printer_result", r, e))

    def _show(self, name: str, result: Any, error: BaseException | None) -> None:
        ok, message = result if error is None else (False, str(error))
        setattr(self, name, f"{_('OK') if ok else _('Failed')}: {message}")

    def sync(self) -> None:
        self._app().run_async(self.core.sync_now, self._synced)

    def _synced(self, _report: Any, error: BaseException | None) -> None:
        self.refresh_ops()
        self.sync_error = "" if error is None else f"{type(error).__name__}: {error}"

    def logout(self, force: bool = False) -> None:
        # The core logs out in the background and reports on the bus (app._on_logout → show_logout).
        try:
            self.core.logout_in_background(force=force)
        except LogoutBlocked as blocked:
            self.logout_warning = _(
                "{n} operations are not synced yet. Logging out now keeps them on this "
                "handheld until you log in again."
            ).format(n=blocked.pending)
            self.confirm_force = True

    def show_logout(self, state: str, error: str) -> None:
        self.logging_out = state == "started"
        if state == "failed":
            self.logout_warning = error

    def _app(self) -> Any:
        from kivy.app import App

        return App.get_running_app()


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
