"""Placing a phone call, behind one port. Plain Python.

The core dials only the virtual number the server lent (backend/calls/): the customer's real
number never reaches the handheld's dialer. ``DialerPort.dial(number)`` takes what the phone
dials: digits, and for a number with an extension a comma (a pause) and the extension's digits.

- ``AndroidDialer``: Android's dialer through an ``ACTION_DIAL`` intent on a ``tel:`` URI (pyjnius,
  as plyer does): the phone app opens with the number filled in and the courier presses call,
  so the app needs no CALL_PHONE permission. Our app goes to the background meanwhile; its return
  (``on_resume``) ends the measured call.
- ``LoggedDialer``: the desktop and the tests; each number is kept in ``dialled`` and logged, and
  the call lasts until the courier taps an outcome (the hang-up).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from mobile.devices.ports import DeviceError

log = logging.getLogger("parcelrun.dialer")


class DialerPort(Protocol):
    def dial(self, number: str) -> None:
        """Start a call to ``number`` ("17000000100,2080"); raises ``DeviceError`` when it cannot."""
        ...


@dataclass
class LoggedDialer:
    dialled: list[str] = field(default_factory=list)

    def dial(self, number: str) -> None:
        self.dialled.append(number)
        log.info("dial %s", number)


class AndroidDialer:
    """The phone app through an ACTION_DIAL intent; built lazily on the handheld only."""

    def dial(self, number: str) -> None:
        try:
            from jnius import autoclass  # type: ignore[import-not-found]

            intent_class, uri = autoclass("android.content.Intent"), autoclass("android.net.Uri")
            activity: Any = autoclass("org.kivy.android.PythonActivity").mActivity
            intent = intent_class(intent_class.ACTION_DIAL, uri.parse("tel:" + uri.encode(number, ",")))
            activity.startActivity(intent)
        except Exception as exc:  # no phone app (a Wi-Fi-only handheld): say so, never crash
            log.exception("dial %s failed", number)
            raise DeviceError("this handheld cannot place calls") from exc


def dialer_for_platform(platform: str) -> DialerPort:
    return AndroidDialer() if platform == "android" else LoggedDialer()
