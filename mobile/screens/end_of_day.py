"""End of day: jobs done/failed/open, cash collected, parcels to bring back, unsynced work; then log out.

Log out is only offered here (Settings leads to this screen): the courier sees what is left
before leaving. Refused work not dealt with, or work not uploaded, needs a second tap ("Log out
anyway") and stays on the handheld until the next login.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.core import LogoutBlocked
from mobile.end_of_day import BRING_BACK_REASONS, yuan
from mobile.i18n import _


class EndOfDayScreen(Screen):
    core = ObjectProperty(None)
    done = NumericProperty(0)
    failed = NumericProperty(0)
    open = NumericProperty(0)
    cod_total = StringProperty("")
    cod_lines = StringProperty("")
    bring_back = StringProperty("")
    unsynced = StringProperty("")
    logout_warning = StringProperty("")
    confirm_force = BooleanProperty(False)
    logging_out = BooleanProperty(False)

    def on_pre_enter(self, *_args: Any) -> None:
        self.logout_warning, self.confirm_force = "", False
        self.refresh()

    def refresh(self) -> None:
        if self.core.session is None:
            return
        s = self.core.end_of_day()
        self.done, self.failed, self.open = s.done, s.failed, s.open
        self.cod_total = yuan(s.cod_total_fen)
        self.cod_lines = "\n".join(f"{p.tracking_no}  {p.name}  {yuan(p.amount_fen)}" for p in s.cod) or _(
            "No cash on delivery today"
        )
        self.bring_back = "\n".join(
            f"{p.tracking_no}  {p.name}  {_(BRING_BACK_REASONS[p.why])}" for p in s.bring_back
        ) or _("Nothing to bring back")
        self.unsynced = _("Not uploaded: {n} · Upload failed, not dealt with: {m}").format(
            n=s.unsynced, m=s.unresolved
        )
        if s.clear:  # synced since the warning: no stale "7 not synced" (issue 17)
            self.logout_warning, self.confirm_force = "", False
        elif self.confirm_force:  # the warning follows the live counts while it shows
            self.logout_warning = self._warning(s.unsynced, s.unresolved)

    def logout(self, force: bool = False) -> None:
        # The core logs out in the background and reports on the bus (app._on_logout → show_logout).
        try:
            self.core.logout_in_background(force=force)
        except LogoutBlocked as blocked:
            self.logout_warning = self._warning(blocked.pending, blocked.unresolved)
            self.confirm_force = True
            self.core.signal_error()

    def _warning(self, pending: int, unresolved: int) -> str:
        return _(
            "{n} operations are not uploaded and {m} failed uploads are not dealt with. Logging out "
            "now keeps them on this handheld until you log in again."
        ).format(n=pending, m=unresolved)

    def show_logout(self, state: str, error: str) -> None:
        self.logging_out = state == "started"
        if state == "failed":
            self.logout_warning = _("Logging out failed: try again")
        if state == "done":
            self.logout_warning, self.confirm_force = "", False


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
