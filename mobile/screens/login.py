"""Log in with employee number and password."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen


class LoginScreen(Screen):
    core = ObjectProperty(None)
    error = StringProperty("")
    busy = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        cached = self.core.auth.cached_employee_no if self.core else None
        if cached:
            self.ids.employee_no.text = cached


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
