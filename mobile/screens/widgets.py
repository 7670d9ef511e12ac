"""Shared widgets: large touch targets, choice chips, the sync badge and the signature pad."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from kivy.graphics import Color, Line
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.recycleview.views import RecycleDataViewBehavior
from kivy.uix.togglebutton import ToggleButton
from kivy.uix.widget import Widget

from mobile.screens.theme import colour  # noqa: F401 - re-exported for the screens


class Btn(Button):
    """A main action: 56 dp high (the guideline minimum is 48 dp)."""


class Chip(ToggleButton):
    value = StringProperty("")


class Field(Label):
    pass


class Banner(Label):
    """A job's negotiation line: white on the state's colour; no height when empty."""

    tint = ListProperty([0.35, 0.35, 0.35, 1])


class JobRow(RecycleDataViewBehavior, ButtonBehavior, BoxLayout):
    """One recycled row of the Today list (data comes from mobile.today.Row)."""

    job_id = StringProperty("")
    seq = StringProperty("")
    name = StringProperty("")
    address = StringProperty("")
    tracking_no = StringProperty("")
    eta = StringProperty("")
    window = StringProperty("")
    status_text = StringProperty("")
    kind_text = StringProperty("")
    stripe = ListProperty([0, 0, 0, 1])
    marker = StringProperty("")  # the negotiation's banner ("Customer chose 14:00–15:00")
    marker_colour = ListProperty([0, 0, 0, 1])
    flags = StringProperty("")  # the handling flags' chips, translated ("验证件 高价值")
    can_call = BooleanProperty(False)  # an open job: its customer may be called (virtual number)


class SignaturePad(Widget):
    """Draw with a finger; ``png()`` gives the image the proof carries."""

    has_ink = BooleanProperty(False)

    def on_touch_down(self, touch: Any) -> bool:  # touch: a Kivy MotionEvent (Kivy is untyped)
        if not self.collide_point(*touch.pos):
            return bool(super().on_touch_down(touch))
        with self.canvas:
            Color(0.05, 0.05, 0.05, 1)
            touch.ud["sig"] = Line(points=[touch.x, touch.y], width=2)
        touch.grab(self)
        return True

    def on_touch_move(self, touch: Any) -> bool:  # touch: a Kivy MotionEvent (Kivy is untyped)
        if touch.grab_current is self and "sig" in touch.ud:
            touch.ud["sig"].points += [touch.x, touch.y]
            self.has_ink = True
            return True
        return bool(super().on_touch_move(touch))

    def on_touch_up(self, touch: Any) -> bool:  # touch: a Kivy MotionEvent (Kivy is untyped)
        if touch.grab_current is self:
            touch.ungrab(self)
            return True
        return bool(super().on_touch_up(touch))

    def clear(self) -> None:
        self.canvas.clear()
        self.has_ink = False

    def png(self) -> bytes:
        image = self.export_as_image()
        buffer = io.BytesIO()
        image.save(buffer, fmt="png")
        return buffer.getvalue()


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
