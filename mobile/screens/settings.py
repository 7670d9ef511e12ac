"""Settings and diagnostics: language, scale and printer tests, pending and refused work; the way to log out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile import refusals
from mobile.i18n import _, current_language
from mobile.offline.unresolved import KIND_LABELS


class SettingsScreen(Screen):
    core = ObjectProperty(None)
    scale_result = StringProperty("")
    printer_result = StringProperty("")
    ops = StringProperty("")
    sync_error = StringProperty("")

    def on_pre_enter(self, *_args: Any) -> None:
        self.refresh_ops()

    def refresh_ops(self) -> None:
        # Never the server's English message: the refusal from the catalogue (mobile/refusals.py).
        lines = []
        for p in self.core.problems():
            if p.state == "rejected":
                state = refusals.explain(p.code, current_language())[0]
            else:
                state = _("Not uploaded")
            lines.append(f"{_(KIND_LABELS.get(p.kind, p.kind))} {p.tracking_no} · {state}")
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

    def _app(self) -> Any:
        from kivy.app import App

        return App.get_running_app()


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
