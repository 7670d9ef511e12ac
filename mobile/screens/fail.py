"""Failed attempt: reason, evidence (photo, call log), the next step agreed with the customer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile import reschedule
from mobile.core.calling import MeasuredCall
from mobile.flows.failed_attempt import CALL_OUTCOME_LABELS, NEXT_STEP_LABELS, REASON_LABELS, Step
from mobile.i18n import _
from mobile.screens.call import minutes
from mobile.screens.widgets import Chip


class FailScreen(Screen):
    core = ObjectProperty(None)
    flow = ObjectProperty(None, allownone=True)
    step = StringProperty(Step.REASON.value)
    problems = StringProperty("")
    evidence = StringProperty("")
    next_kind = StringProperty("")
    no_camera = BooleanProperty(False)
    new_window = ObjectProperty(None, allownone=True)  # the reschedule.Slot picked for 另约时间段
    _days: dict[str, reschedule.Day]
    _slots: dict[str, reschedule.Slot]

    def on_pre_enter(self, *_args: Any) -> None:
        self.flow = self.core.failure
        self.problems, self.evidence, self.next_kind, self.no_camera = "", "", "", False
        self.step = self.flow.step.value  # REASON, or where a resumed draft stopped
        self._chips(
            self.ids.reasons,
            "reason",
            [(c, REASON_LABELS.get(c, c)) for c in self.flow.reason_codes],
            self.choose_reason,
        )
        self._chips(self.ids.calls, "call", list(CALL_OUTCOME_LABELS.items()), self.log_call)
        self._chips(self.ids.next_steps, "next", list(NEXT_STEP_LABELS.items()), self.choose_next)
        if self.flow.draft.photos or self.flow.draft.calls:
            self._evidence()
        self.next_kind = self.flow.draft.next_kind
        self.new_window = None
        days = {d.day.isoformat(): d for d in self.core.reschedule_days()}
        self._days = days
        labels = [(k, f"{_(d.label)} {d.day:%m-%d}") for k, d in days.items()]
        self._chips(self.ids.new_days, "day", labels, self.choose_day)
        self.choose_day(next(iter(days)))

    def choose_day(self, key: str) -> None:
        for chip in self.ids.new_days.children:
            chip.state = "down" if chip.value == key else "normal"
        self._slots = {s.start.isoformat(): s for s in self.core.reschedule_slots(self._days[key].day)}
        self._chips(
            self.ids.new_slots, "slot", [(k, s.text) for k, s in self._slots.items()], self.choose_slot
        )
        self.new_window = None

    def choose_slot(self, key: str) -> None:
        self.new_window = self._slots[key]

    def _chips(self, grid: Any, group: str, items: list[tuple[str, str]], action: Any) -> None:
        grid.clear_widgets()
        for value, label in items:
            chip = Chip(text=_(label), value=value, group=f"fail_{group}")
            chip.bind(on_release=lambda c: action(c.value))
            grid.add_widget(chip)

    def on_step(self, _screen: Any, step: str) -> None:
        self.ids.steps.current = step

    def choose_reason(self, code: str) -> None:
        self.step = self.flow.choose_reason(code).value

    def photo(self) -> None:
        taken = self.core.take_photo()
        if taken is None:  # never a crash, never a lost attempt: a way forward instead (issue 17)
            self.no_camera = True
            self.problems = _("No camera on this handheld. Go on without a photo: the supervisor checks it.")
            return
        self.flow.add_photo(*taken)
        self._evidence()

    def without_photo(self) -> None:
        self.flow.camera_unavailable()
        self.next()

    def log_call(self, outcome: str) -> None:
        """An outcome noted by hand (no call placed from the app, e.g. offline): no measured time."""
        self.flow.log_call(outcome, 0)
        self._evidence()

    def call(self) -> None:
        """Call through the job's virtual number; the measured call joins the attempt's evidence."""
        App.get_running_app().call(
            int(self.flow.job["id"]), hang_up=self.core.call_hang_up, after=self.called
        )

    def called(self, call: MeasuredCall) -> None:
        self.flow.log_call(call.outcome, call.duration_s, call.started_at.isoformat())
        self._evidence()

    def _evidence(self) -> None:
        d = self.flow.draft
        self.problems = ""  # the list was about what was missing; the courier is adding it
        calls = ", ".join(
            _(CALL_OUTCOME_LABELS[c.outcome]) + (f" {minutes(c.duration_s)}" if c.started_at else "")
            for c in d.calls
        )
        self.evidence = _("{n} photos").format(n=len(d.photos)) + (f" · {calls}" if calls else "")

    def next(self) -> None:
        if self.ids.note.text.strip():
            self.flow.set_note(self.ids.note.text)
        self.step = self.flow.submit_evidence().value
        self.problems = "\n".join(_(p) for p in self.flow.problems)
        if self.flow.problems:
            self.core.signal_error()

    def choose_next(self, kind: str) -> None:
        self.next_kind = kind

    def confirm(self) -> None:
        if self.next_kind:
            slot = self.new_window if self.next_kind == "new_window" else None
            self.flow.choose_next(
                self.next_kind,
                window_start=slot.start.isoformat() if slot else "",
                window_end=slot.end.isoformat() if slot else "",
                address=self.ids.address.text,
            )
        if self.flow.confirm() is Step.DONE:
            self.core.finish_fail()
            self.manager.current = "today"
        else:
            self.problems = "\n".join(_(p) for p in self.flow.problems)

    def back(self) -> None:
        if self.flow.step is Step.REASON:
            self.core.abandon_fail()
            self.manager.current = "today"
        else:
            self.step = self.flow.back().value


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
