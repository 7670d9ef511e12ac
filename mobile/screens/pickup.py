"""Pickup at the door: weigh (scale or keyed with a reason), dimensions, inspection, price, label, print."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from kivy.core.image import Image as CoreImage
from kivy.lang import Builder
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile import pickup_messages
from mobile.flows.pickup import Step
from mobile.i18n import _


def problem_text(problem: str) -> str:
    return _(pickup_messages.msgid(problem))


def _int(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def scaled(text: str, factor: int) -> int | None:
    """Centimetres or kilograms as the courier keys them ("12.5") in the stored unit (mm, g)."""
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return round(value * factor) if value > 0 else None


def kg(grams: int) -> str:
    return f"{grams / 1000:.3f}".rstrip("0").rstrip(".") + " kg"


class PickupScreen(Screen):
    core = ObjectProperty(None)
    flow = ObjectProperty(None, allownone=True)
    step = StringProperty(Step.WEIGH.value)
    problems = StringProperty("")
    header = StringProperty("")
    price = StringProperty("")
    weight = StringProperty("")
    payment = StringProperty("")
    id_type = StringProperty("")
    photo_status = StringProperty("")

    def on_pre_enter(self, *_args: Any) -> None:
        self.flow = self.core.pickup
        if self.flow is None:
            return
        job = self.flow.job
        self.header = f"{job.sender[0]}  {job.sender[2]}"
        self._clear_fields()  # nothing carries over from the previous customer (issue 17)
        if self.flow.resumed:  # a pickup the app was killed in: its draft, at its step
            self.flow.resumed = False
            self._fill_from_draft()
            self._moved(self.flow.step, None)
            return
        self.step, self.problems, self.payment = "busy", _("Reading the scale…"), ""
        self.app().run_async(self.flow.start, self._moved)

    def _fill_from_draft(self) -> None:
        d, ids = self.flow.draft, self.ids
        if d.weight_source == "manual" and d.weight_g:
            ids.weight_kg.text, ids.manual_reason.text = kg(d.weight_g)[:-3], d.manual_reason
        for name, mm in (("length_cm", d.length_mm), ("width_cm", d.width_mm), ("height_cm", d.height_mm)):
            ids[name].text = f"{mm / 10:g}" if mm else ""
        ids.pieces.text = str(d.pieces)
        ids.declared_value.text = str(d.declared_value_fen // 100) if d.declared_value_fen else ""
        ids.id_last4.text, ids.real_name.text = d.sender_id_last4, d.sender_real_name
        self.id_type, self.payment = d.sender_id_type, d.payment_method
        ids.no_prohibited.state = "down" if d.prohibited_items_absent else "normal"
        self._photo_taken()

    def contents_photo(self) -> None:
        """The camera for the contents photo (an insured value over 1,000 yuan needs one)."""
        taken = self.core.take_photo()
        if taken is None:  # no camera: no crash, and a way on (the pickup fails with its reason)
            self.problems = _(
                "No camera on this handheld: an insured value over 1,000 yuan needs a contents photo. "
                "Record the pickup as failed, or hand it to the station."
            )
            return
        self.flow.add_contents_photo(*taken)
        self.problems = ""
        self._photo_taken()

    def _photo_taken(self) -> None:
        self.photo_status = _("Contents photo taken") if self.flow.draft.contents_photo else ""

    def _clear_fields(self) -> None:
        ids = self.ids
        names = ("weight_kg", "manual_reason", "length_cm", "width_cm", "height_cm", "declared_value")
        for name in (*names, "id_last4", "real_name"):
            ids[name].text = ""
        self.id_type = self.photo_status = ""
        ids.pieces.text = "1"
        ids.no_prohibited.state = "normal"
        self.price = self.weight = ""

    def failed(self) -> None:
        """The sender refused, was not there, or the parcel cannot be taken: a failed attempt with its reason."""
        if self.flow is None:
            return
        self.core.begin_fail(int(self.flow.job.job_id))
        self.manager.current = "fail"

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
        self.submit(weight_g=scaled(self.ids.weight_kg.text, 1000), reason=self.ids.manual_reason.text)

    def submit_dimensions(self) -> None:
        ids = self.ids
        self.submit(
            length_mm=scaled(ids.length_cm.text, 10),
            width_mm=scaled(ids.width_cm.text, 10),
            height_mm=scaled(ids.height_cm.text, 10),
            pieces=_int(ids.pieces.text) or 1,
        )

    def submit_inspection(self) -> None:
        yuan = _int(self.ids.declared_value.text.strip() or "0")
        self.submit(
            prohibited_items_absent=self.ids.no_prohibited.state == "down",
            declared_value_fen=yuan * 100 if yuan is not None else None,
            sender_id_type=self.id_type,
            sender_id_last4=self.ids.id_last4.text,
            sender_real_name=self.ids.real_name.text,
        )

    def _moved(self, step: Any, error: BaseException | None) -> None:
        flow = self.flow
        self.problems = str(error) if error else "\n".join(problem_text(p) for p in flow.problems)
        d = flow.draft
        self.weight = kg(d.weight_g) if d.weight_g else ""  # stored in g, shown in kg
        self.price = f"¥{d.quote.total_fen / 100:.2f}" if d.quote else ""
        if flow.step is Step.PRINT and d.preview_png:
            self.ids.preview.texture = CoreImage(io.BytesIO(d.preview_png), ext="png").texture
        if flow.step is Step.DONE:
            self.core.finish_pickup()
            self.manager.current = "today"
        self.step = flow.step.value


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
