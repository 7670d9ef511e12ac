"""Propose a time: the courier taps one of the times offered (every 30 min, station time), then "Send"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.actions import ActionError
from mobile.i18n import _
from mobile.negotiation import Slot
from mobile.screens.theme import colour
from mobile.screens.widgets import Chip


class ProposeScreen(Screen):
    core = ObjectProperty(None)
    job_id = NumericProperty(0)
    header = StringProperty("")
    day = StringProperty("")
    chosen = NumericProperty(-1)
    problems = StringProperty("")
    banner = StringProperty("")
    banner_colour = ListProperty([0, 0, 0, 1])
    slots: tuple[Slot, ...] = ()

    def on_pre_enter(self, *_args: Any) -> None:
        job = self.core.job(self.job_id) or {}
        s = job.get("shipment") or {}
        self.header = f"{s.get('recipient_name', '')}  {s.get('tracking_no', '')}\n{job.get('address', '')}"
        self.slots = tuple(self.core.proposal_slots())
        self.chosen, self.problems = -1, ""
        self.day = _("Tomorrow") if self.slots and self.slots[0].tomorrow else _("Today")
        grid = self.ids.slots
        grid.clear_widgets()
        for i, slot in enumerate(self.slots):
            chip = Chip(text=slot.label, value=str(i), group="propose_slot")
            chip.bind(on_release=lambda c: self.choose(int(c.value)))
            grid.add_widget(chip)
        if not self.slots:
            self.problems = _("No time left in your shift to propose")
        self.show_banner()

    def show_banner(self) -> None:
        b = self.core.banner(self.job_id) if self.job_id else None
        self.banner = "" if b is None else b.text()
        self.banner_colour = list(colour(b.colour if b else "muted"))

    def choose(self, index: int) -> None:
        self.chosen, self.problems = index, ""

    def send(self) -> None:
        if self.chosen < 0:
            self.problems = _("Choose a time first")
            return
        try:
            self.core.propose(self.job_id, self.slots[self.chosen])
        except ActionError as exc:
            self.problems = _(exc.message)
            return
        self.manager.current = "deliver"

    def back(self) -> None:
        self.manager.current = "deliver"


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
