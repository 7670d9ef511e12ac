"""A keyboard-wedge barcode scanner: it "types" the code and usually ends it with Enter. Pure.

Handheld scanners and USB/Bluetooth guns arrive as key events, with no field focused. Characters
are collected into a buffer; Enter ends a scan. Some scanners send no terminator, so a pause longer
than ``timeout_s`` after the last character also ends one (``poll`` is called by a UI timer). A
person typing is far slower than a scanner; keys spaced further apart than ``max_gap_s`` start a
new buffer, so a stray key press followed by a scan does not glue onto the code.

Timestamps are passed in by the caller, which keeps the class deterministic in tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

ENTER_KEYS = frozenset({"\r", "\n"})
ENTER_KEYCODES = frozenset({13, 271})  # Return, keypad Enter
# Kivy's keycodes 300–319: numlock, capslock, scrolllock, shift, ctrl, alt, super, compose…
# Kivy reports such a key with the character of its number (Shift, 304, as "İ"): never a scan's.
MODIFIER_KEYCODES = frozenset(range(300, 320))


def wedge_char(keycode: int, codepoint: str | None, modifiers: Iterable[str]) -> str | None:
    """The character a key event adds to a scan: Enter, or one printable ASCII character (a
    barcode's), with Shift/CapsLock applied to letters; None for anything else (issue 17: a wedge
    scanner that sends Shift for capitals had every number refused as "İPİR…")."""
    if keycode in ENTER_KEYCODES:
        return "\r"
    if keycode in MODIFIER_KEYCODES or not codepoint or len(codepoint) != 1:
        return None
    if not " " <= codepoint <= "~":
        return None
    mods = set(modifiers)
    if codepoint.isalpha() and (("shift" in mods) != ("capslock" in mods)):
        return codepoint.upper()
    return codepoint


@dataclass
class WedgeBuffer:
    timeout_s: float = 0.08
    max_gap_s: float = 0.5
    min_length: int = 4
    _chars: list[str] = field(default_factory=list)
    _last_at: float | None = None

    def feed(self, char: str, at: float) -> str | None:
        """One key (a character, or Enter). Returns a finished scan, or None."""
        if char in ENTER_KEYS:
            return self._finish()
        if len(char) != 1 or not char.isprintable():
            return None
        if self._last_at is not None and at - self._last_at > self.max_gap_s:
            self._chars.clear()
        self._chars.append(char)
        self._last_at = at
        return None

    def poll(self, now: float) -> str | None:
        """Called by a timer: a buffer idle for ``timeout_s`` is a scan without a terminator."""
        if self._chars and self._last_at is not None and now - self._last_at >= self.timeout_s:
            return self._finish()
        return None

    @property
    def pending(self) -> str:
        return "".join(self._chars)

    def _finish(self) -> str | None:
        code = "".join(self._chars).strip()
        self._chars.clear()
        self._last_at = None
        # A lone key or two is a mis-press, not a barcode: drop it rather than flag a bad scan.
        return code if len(code) >= self.min_length else None
