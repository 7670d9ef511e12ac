"""Sound and vibration for the courier's scans and refusals, behind one port. Plain Python.

A courier looks at the parcel, not the screen: a short beep says "OK", a long low tone with a
buzz says "look". ``FeedbackPort.signal(sound, vibrate_ms)`` is all the core calls.

- ``AndroidFeedback``: plyer's vibrator facade, and Android's ``ToneGenerator`` (through pyjnius,
  which plyer itself uses) for the tones; any failure of either is logged, never raised: a
  missing vibrator must not stop a delivery.
- ``LoggedFeedback``: the desktop and the tests; every signal is kept in ``calls`` and logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("parcelrun.feedback")

# sound → (ToneGenerator tone, duration ms): a short high beep; a long low tone.
TONES = {"ok": (24, 120), "error": (17, 700)}  # TONE_PROP_BEEP; TONE_CDMA_ABBR_ALERT-like low buzz


class FeedbackPort(Protocol):
    def signal(self, sound: str, vibrate_ms: int) -> None:
        """Play ``sound`` ("ok" or "error") and vibrate ``vibrate_ms`` (0: no vibration)."""
        ...


@dataclass
class LoggedFeedback:
    calls: list[tuple[str, int]] = field(default_factory=list)

    def signal(self, sound: str, vibrate_ms: int) -> None:
        self.calls.append((sound, vibrate_ms))
        log.info("feedback: %s tone, vibrate %d ms", sound, vibrate_ms)


class AndroidFeedback:
    """plyer.vibrator and android.media.ToneGenerator; built lazily on the handheld only."""

    def __init__(self) -> None:
        self._tones: Any = None

    def signal(self, sound: str, vibrate_ms: int) -> None:
        tone, ms = TONES.get(sound, TONES["error"])
        try:
            if self._tones is None:
                from jnius import autoclass  # type: ignore[import-not-found]

                tone_generator, stream = (
                    autoclass("android.media.ToneGenerator"),
                    autoclass("android.media.AudioManager"),
                )
                self._tones = tone_generator(stream.STREAM_NOTIFICATION, 100)
            self._tones.startTone(tone, ms)
        except Exception:  # no audio service: the colour and the buzz still say it
            log.exception("feedback: tone %s failed", sound)
        if vibrate_ms:
            try:
                from plyer import vibrator  # type: ignore[import-not-found]

                vibrator.vibrate(vibrate_ms / 1000)
            except Exception:
                log.exception("feedback: vibration failed")


def feedback_for_platform(platform: str) -> FeedbackPort:
    return AndroidFeedback() if platform == "android" else LoggedFeedback()
