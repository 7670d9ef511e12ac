"""Pickup at the door: weigh (scale or keyed with a reason), dimensions, inspection, price, label, print."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from kivy.core.image import Image as CoreImage
from kivy.lang import Builder
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.flows.pickup import Step
from mobile.i18n import N_, _

# The flow's scale messages are plain English (its tests read them); the courier reads these.
SCALE_PROBLEMS = {
    "no scale connected: key in the weight and say why": N_(
        "No scale connected: key in the weight and say why"
    ),
    "the scale reads 0 g: put the parcel on the platform": N_(
        "The scale reads 0 g: put the parcel on the platform"
    ),
}


def problem_text(problem: str) -> str:
    if problem in SCALE_PROBLEMS:
        return _(SCALE_PROBLEMS[problem])
    if problem.startswith("scale"):  # a DeviceError of the scale (not connected, overload, unstable…)
        return _("The scale gave no weight: check it, or key in the weight and say why")
    return _(problem)


def _int(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


class PickupScreen(Screen):
    core = ObjectProperty(None)
    flow = ObjectProperty(None, allownone=True)
    step = StringProperty(Step.WEIGH.value)
    problems = StringProperty("")
    header = StringProperty("")
    price = StringProperty("")
    weight = StringProperty("")
    payment = StringProperty("")

    def on_pre_enter(self, *_args: Any) -> None:
        self.flow = self.core.pickup
        if self.flow is None:
            return
        job = self.flow.job
        self.header = f"{job.sender[0]}  {job.sender[2]}"
        self.step, self.problems, self.payment = "busy", _("Reading the scale…"), ""
        self.app().run_async(self.flow.start, self._moved)

    def on_step(self, _screen: Any, step: str) -> None:
        self.ids.steps.current = step

    def app(self) -> Any:
        from kivy.app import App

        return App.get_running_app()

    def retry_scale(self) -> None:
        self.step = "busy"
        self.app().run_async(self.flow.retry_scale, self._moved)

    def submit(self, **fields: Any) -> None:
        self.step = "busy"
        self.app().run_async(lambda: self.flow.submit(**fields), self._moved)

    def submit_weight(self) -> None:
        self.submit(weight_g=_int(self.ids.weight_g.text), reason=self.ids.manual_reason.text)

    def submit_dimensions(self) -> None:
        ids = self.ids
        self.submit(
            length_mm=_int(ids.length_mm.text),
            width_mm=_int(ids.width_mm.text),
            height_mm=_int(ids.height_mm.text),
            pieces=_int(ids.pieces.text) or 1,
        )

    def submit_inspection(self) -> None:
        yuan = _int(self.ids.declared_value.text.strip() or "0")
        self.submit(
            prohibited_items_absent=self.ids.no_prohibited.state == "down",
            declared_value_fen=yuan * 100 if yuan is not None else None,
        )

    def _moved(self, step: Any, error: BaseException | None) -> None:
        flow = self.flow
        self.problems = str(error) if error else "\n".join(problem_text(p) for p in flow.problems)
        d = flow.draft
        self.weight = f"{d.weight_g} g" if d.weight_g else ""
        self.price = f"¥{d.quote.total_fen / 100:.2f}" if d.quote else ""
        if flow.step is Step.PRINT and d.preview_png:
            self.ids.preview.texture = CoreImage(io.BytesIO(d.preview_png), ext="png").texture
        if flow.step is Step.DONE:
            self.core.finish_pickup()
            self.manager.current = "today"
        self.step = flow.step.value


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
