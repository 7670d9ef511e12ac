"""The rule every message obeys: no full phone number and no address in the text.

An SMS is read on lock screens and kept by the provider; the link it carries shows the rest, masked,
to whoever opens it. The check is the last line: the templates take only a masked name, a window,
a deadline and a link.
"""

from __future__ import annotations

import re

from backend.common.errors import DomainError
from parcelkit.rules.privacy import MASK, mask_address

_SEPARATORS = re.compile(r"[\s\-.()]")


def _digits(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def leaks(text: str, *, phone: str, address: str) -> list[str]:
    """What of ``phone`` and ``address`` the text gives away (empty: nothing)."""
    found = []
    digits = _digits(phone)
    # Separators are dropped first: "139 1234 5678" is the same number.
    if len(digits) >= 7 and digits in _SEPARATORS.sub("", text):
        found.append("phone")
    address = address.strip()
    hidden = address.removeprefix(mask_address(address).removesuffix(MASK))
    if address and (address in text or (len(hidden) >= 4 and hidden in text)):
        found.append("address")
    return found


def check_text(text: str, *, phone: str, address: str) -> None:
    """``message_unsafe`` when the text carries the recipient's phone number or address."""
    found = leaks(text, phone=phone, address=address)
    if found:
        raise DomainError(
            "message_unsafe", f"a message must not contain the recipient's {' or '.join(found)}"
        )
