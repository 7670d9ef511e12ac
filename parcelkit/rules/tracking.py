"""Tracking (waybill) numbers: ``PR`` + 11-digit serial + 1 Luhn check digit, e.g. ``PR000000012344``.

Luhn catches every single-digit misread and every adjacent transposition except 09/90, which is
what matters for a number keyed in by hand or read by a tired scanner. The serial space
(10^11) is split into blocks handed to devices so handhelds can issue numbers offline.
"""

from __future__ import annotations

import re

PREFIX = "PR"
SERIAL_DIGITS = 11
MAX_SERIAL = 10**SERIAL_DIGITS - 1
_PATTERN = re.compile(r"^PR(\d{11})(\d)$")


def luhn_check_digit(digits: str) -> int:
    """The digit that makes ``digits + check`` pass the Luhn test."""
    total = 0
    # Walk right to left; the digit next to the (future) check digit is doubled.
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def make_tracking_no(serial: int) -> str:
    if not 0 < serial <= MAX_SERIAL:
        raise ValueError(f"serial {serial} out of range 1..{MAX_SERIAL}")
    body = f"{serial:0{SERIAL_DIGITS}d}"
    return f"{PREFIX}{body}{luhn_check_digit(body)}"


def normalise(raw: str) -> str:
    """Scanners and people add spaces, dashes and lower case; strip them before checking."""
    return re.sub(r"[\s-]", "", raw).upper()


def is_valid_tracking_no(value: str) -> bool:
    m = _PATTERN.match(value)
    return m is not None and luhn_check_digit(m.group(1)) == int(m.group(2))


def serial_of(tracking_no: str) -> int:
    m = _PATTERN.match(tracking_no)
    if not m or not is_valid_tracking_no(tracking_no):
        raise ValueError(f"not a valid tracking number: {tracking_no!r}")
    return int(m.group(1))
