"""Drive the real app like a courier: touches on widgets, scanner keys, screenshots. Counts taps."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

# Kivy is imported lazily: importing kivy.core.window creates the window, which must wait for the
# X server and the size set by the ``window`` fixture.


def _kivy() -> tuple[Any, Any, Any]:
    from kivy.base import EventLoop
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch

    return EventLoop, Window, UnitTestTouch


class Driver:
    def __init__(self, app: Any, shots: Path) -> None:
        self.app = app
        self.shots = shots
        self.taps = 0

    def frames(self, n: int = 3) -> None:
        event_loop = _kivy()[0]
        for _ in range(n):
            event_loop.idle()

    @property
    def screen(self) -> Any:
        return self.app.root.current_screen

    def ids(self, screen: str | None = None) -> Any:
        return (self.app.root.get_screen(screen) if screen else self.screen).ids

    def tap(self, widget: Any) -> None:
        """One finger tap in the middle of ``widget`` (it must be visible and enabled to react)."""
        _, Window, UnitTestTouch = _kivy()
        self.frames(1)
        assert widget.get_root_window() is not None, f"{widget} is not on screen"
        x, y = widget.to_window(*widget.center)
        assert 0 <= x < Window.width and 0 <= y < Window.height, (
            f"{widget} is off screen at {(x, y)} in {Window.size}"
        )
        parent = widget.parent
        while parent is not None and parent is not parent.parent:
            if type(parent).__name__ == "ScrollView":  # scrolled out of view is not tappable
                left, bottom = parent.to_window(parent.x, parent.y)
                assert left <= x <= left + parent.width and bottom <= y <= bottom + parent.height, (
                    f"{widget} is scrolled out of view"
                )
            parent = parent.parent
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()
        self.taps += 1
        self.frames(2)

    def type_into(self, field: Any, text: str) -> None:
        """Tap the field (one tap) and type; the on-screen keyboard's keys are not taps."""
        self.tap(field)
        field.text = text
        field.focus = False
        self.frames(1)

    def scan(self, code: str, enter: bool = True, shift: bool = False) -> None:
        """A keyboard-wedge scanner: characters a few ms apart, then Enter (or nothing: the timeout).

        ``shift``: as most wedge scanners type a capital, and as Kivy reports it: the Shift key
        itself (keycode 304, which Kivy hands over with the character "İ"), then the letter's
        key in lower case with the ``shift`` modifier, then Shift released.
        """
        Window = _kivy()[1]
        for ch in code:
            if shift and ch.isupper():
                Window.dispatch("on_key_down", 304, 225, chr(304), [])
                Window.dispatch("on_key_down", ord(ch.lower()), 0, ch.lower(), ["shift"])
                Window.dispatch("on_key_up", 304, 225)
                continue
            Window.dispatch("on_key_down", ord(ch), 0, ch, [])
        if enter:
            Window.dispatch("on_key_down", 13, 40, None, [])
        else:
            time.sleep(0.1)
        self.frames(3)

    def sign(self, pad: Any) -> None:
        UnitTestTouch = _kivy()[2]
        x, y = pad.to_window(pad.x + pad.width * 0.2, pad.y + pad.height * 0.5)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        for i in range(1, 12):
            touch.touch_move(x + i * pad.width * 0.05, y + (20 if i % 2 else -20))
        touch.touch_up()
        self.frames(2)

    def shot(self, name: str) -> Path:
        Window = _kivy()[1]
        self.frames(3)
        target = self.shots / f"{name}.png"
        target.unlink(missing_ok=True)
        made = Path(Window.screenshot(name=str(self.shots / f"{name}.png")))
        made.replace(target)
        return target
