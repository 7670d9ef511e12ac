"""The call panel: the job's virtual number being called, its running time, how the call went.

Opened from Today's rows, Deliver and the failed attempt's evidence step (``app.call``). It shows
"getting the number" while the core asks the server, then the virtual number (never the
customer's own) and the seconds since the dial; one tap on an outcome hangs up and logs the
measured call. Without a number it says why (no network, not your job) and offers Close.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.modalview import ModalView

from mobile.core.calling import ActiveCall, CallUnavailable, MeasuredCall
from mobile.flows.failed_attempt import CALL_OUTCOME_LABELS
from mobile.i18n import _
from mobile.screens.widgets import Chip


def minutes(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def shown_number(call: ActiveCall) -> str:
    """170 0000 0100 转 2080: grouped for reading aloud; the extension after the pause."""
    n = call.number.number
    grouped = f"{n[:3]} {n[3:7]} {n[7:]}" if len(n) == 11 else n
    return grouped + (
        " " + _("ext. {extension}").format(extension=call.number.extension) if call.number.extension else ""
    )


class CallPanel(ModalView):
    core = ObjectProperty(None)
    number = StringProperty("")
    elapsed = StringProperty("")
    message = StringProperty("")
    calling = BooleanProperty(False)  # a number was dialled: the outcomes hang up
    refused = BooleanProperty(False)  # no number: the reason and Close

    def __init__(
        self,
        *,
        hang_up: Callable[[str], MeasuredCall],
        after: Callable[[MeasuredCall], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.hang_up, self.after = hang_up, after
        self._tick: Any = None
        self.message = _("Getting the virtual number…")
        for value, label in CALL_OUTCOME_LABELS.items():
            chip = Chip(text=_(label), value=value, group="call_outcome")
            chip.bind(on_release=lambda c: self.outcome(c.value))
            self.ids.outcomes.add_widget(chip)

    def started(self, call: ActiveCall | None, error: BaseException | None) -> None:
        """The core's answer: the call placed, or why not (``CallUnavailable``)."""
        if call is None:
            self.calling, self.refused = False, True
            reason = error.message if isinstance(error, CallUnavailable) else str(error)
            self.message = _(reason)
            self.core.signal_error()
            return
        self.calling, self.number = True, shown_number(call)
        self.message = (
            _("The app was closed during this call. Tap how it went:")
            if call.interrupted
            else _("Hang up, then tap how it went:")
        )
        self._update(0)
        self._tick = Clock.schedule_interval(self._update, 0.25)

    def _update(self, _dt: float) -> None:
        self.elapsed = _("Call time {time}").format(time=minutes(self.core.calls.elapsed_s()))

    def outcome(self, outcome: str) -> None:
        if not self.calling:
            return
        measured = self.hang_up(outcome)
        self.close()
        if self.after is not None:
            self.after(measured)

    def close(self) -> None:
        if self._tick is not None:
            self._tick.cancel()
        self.calling = False
        self.dismiss()


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
