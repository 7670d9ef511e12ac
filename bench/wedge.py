"""A keyboard-wedge scanner on an X display, and the app's own clock for its feedback.

Used by bench/mobile.py (150 scans, one per 300 ms) and tests/ui/test_wedge_xdotool.py (a few).
The keys are real X key events sent with xdotool (XTEST), as a wedge scanner types: Shift held
for each capital letter, then Return. The time is taken inside the app, from the Return key's
arrival at the Window to the flip of the first frame that shows that scan's verdict.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import deque
from typing import Any

_KEYSYMS = {"-": "minus", ".": "period", "/": "slash", " ": "space", "+": "plus"}


def wedge_keys(code: str) -> list[str]:
    """xdotool key names for one scan: ``shift+p`` for a capital P (Shift down, p, Shift up), then Return."""
    keys = []
    for ch in code:
        if ch.isupper():
            keys.append(f"shift+{ch.lower()}")
        else:
            keys.append(_KEYSYMS.get(ch, ch))
    return [*keys, "Return"]


def xdotool() -> str:
    path = shutil.which("xdotool")
    if path is None:
        raise RuntimeError("xdotool is not installed (apt-get install xdotool)")
    return path


def window_id(window: Any) -> str:
    """The X window id of Kivy's SDL2 window (asked from inside the app)."""
    return str(window.get_window_info().window)


def focus(window: str) -> None:
    """Give the app's window the keyboard (there is no window manager on Xvfb to do it)."""
    subprocess.run([xdotool(), "windowfocus", "--sync", window], check=True, timeout=10)


def send_scan(code: str, delay_ms: int = 2) -> subprocess.Popen[bytes]:
    """Type one scan now (not waiting: the caller paces the scans and pumps its own event loop)."""
    return subprocess.Popen([xdotool(), "key", "--delay", str(delay_ms), *wedge_keys(code)])


class FeedbackClock:
    """Inside the app: each Return key's arrival → the flip of the frame that shows its scan.

    Bound after the app's own key handler, so it sees the key first (Kivy calls the last bound
    handler first) and lets it through. Scans are matched in order: under load two may land in one
    frame, each then timed to that frame. The verdicts come from the core's ``scan`` events.
    """

    def __init__(self, window: Any, scan_screen: Any, bus: Any) -> None:
        self.window, self.scan, self.bus = window, scan_screen, bus
        self.ms: list[float] = []
        self.codes: list[str] = []
        self.verdicts: list[str] = []
        self._enters: deque[float] = deque()
        self._shown: list[str] = []
        window.bind(on_key_down=self._key, on_flip=self._flip)
        scan_screen.bind(code=self._on_code)
        bus.subscribe("scan", self._on_scan)

    def _key(self, _window: Any, key: int, *_args: Any) -> bool:
        if key == 13:
            self._enters.append(time.perf_counter())
        return False

    def _on_scan(self, result: Any) -> None:
        self.verdicts.append(str(result.verdict.value))

    def _on_code(self, _screen: Any, code: str) -> None:
        self._shown.append(code)  # put on the scan screen; the next flip shows it

    def _flip(self, *_args: Any) -> None:
        now = time.perf_counter()
        for code in self._shown:
            if self._enters:
                self.ms.append((now - self._enters.popleft()) * 1000)
                self.codes.append(code)
        self._shown = []

    def close(self) -> None:
        self.window.unbind(on_key_down=self._key, on_flip=self._flip)
        self.scan.unbind(code=self._on_code)
        self.bus.unsubscribe("scan", self._on_scan)
