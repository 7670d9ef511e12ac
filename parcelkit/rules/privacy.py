"""Masking for privacy waybills: the label on the box is read by everyone who handles it.

The rule is "enough for the courier to find the door, not enough to find the person": phone numbers keep
the carrier prefix and last four digits (callers confirm the last four), names keep the surname, and
addresses keep the administrative area (province, city, district) used for sorting. The handheld and the
backend both import this module so a label printed offline matches one printed by the server.

Which mask a phone number gets depends on who reads it, and that choice is made here, once per
surface (``PHONE_POLICY``), so no page or feed picks a mask of its own. A courier's own number is on
no customer surface at all: the customer's page gives the station's business line to call
(docs/security.md, "Phone numbers per surface").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum

MASK = "****"

# Province / city / district prefix, each part short: a greedy match would swallow "科技园南区" as a district.
_ADMIN_PREFIX = re.compile(
    r"^(?:[^\d\s]{1,7}?(?:省|自治区|特别行政区))?"
    r"(?:[^\d\s]{1,8}?(?:市|自治州|地区|盟))?"
    r"(?:[^\d\s]{1,8}?(?:区|县|旗|市))?"
)


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``; separators and a +86 prefix are dropped first."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) >= 11:
        return digits[:3] + MASK + digits[-4:]
    if len(digits) >= 7:
        # Landline without area code: the last four are still what a caller checks.
        return MASK + digits[-4:]
    return MASK if digits else ""


def mask_phone_public(phone: str) -> str:
    """``13812345678`` → ``*******5678``: what a page anyone can open may show.

    GB/T 2023 waybill privacy asks to hide at least six digits where the public can read them;
    the last four are what a recipient recognises (and what public tracking asks for).
    """
    digits = re.sub(r"\D", "", phone)
    if len(digits) <= 4:
        return MASK if digits else ""
    # Seven stars whatever the length: the mask says nothing about the number either.
    return "*******" + digits[-4:]


def mask_phone_label(phone: str) -> str:
    """``13812345678`` → ``138******78``: what the printed waybill shows.

    The label is read by everyone who handles the box, so GB/T 2023 waybill privacy applies: at
    least six digits hidden. The last four stay off the label on purpose: they are what public
    tracking asks for before it shows details (backend/shipments/tracking_access.py), so reading a
    box must not be enough to open its tracking page. Already masked text is returned unchanged
    (the handheld is sent a pickup's recipient already masked and prints it as it came).
    """
    if "*" in phone:
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]
    if len(digits) > 6:
        # A landline without area code: six hidden, at most two shown at the end.
        keep = min(2, len(digits) - 6)
        return "*" * (len(digits) - keep) + digits[-keep:]
    return "*" * 6 if digits else ""


def mask_name(name: str) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``: the first character, one star per hidden one."""
    name = name.strip()
    if not name:
        return ""
    hidden = len(name[1:].replace(" ", ""))
    return name[0] + "*" * max(1, hidden)


def mask_address(address: str) -> str:
    """Keep the administrative area, hide street, number and room.

    ``广东省深圳市南山区科技园10号`` → ``广东省深圳市南山区****``. For an address with no Chinese
    administrative prefix, keep only the last comma-separated part (city or country).
    """
    address = address.strip()
    if not address:
        return ""
    prefix = _ADMIN_PREFIX.match(address)
    kept = prefix.group(0) if prefix else ""
    if kept and kept != address:
        return kept + MASK
    if kept:
        # The whole address is an area name: nothing private to hide, and masking would confuse sorting.
        return kept
    parts = [p.strip() for p in re.split(r"[,，]", address) if p.strip()]
    if len(parts) > 1:
        return MASK + ", " + parts[-1]
    return MASK


class Surface(StrEnum):
    """Where a phone number is read, from the least trusted reader to the most."""

    # A page anyone can open with a tracking number, after proving the last four digits: it shows
    # those four back and nothing else.
    PUBLIC_TRACKING = "public_tracking"
    # The customer's page and its live feed: whoever holds the link, which may have been forwarded
    # or read off a lock screen. Six digits hidden and not the last four, as on the label: the last
    # four are the key to public tracking, which outlives the link.
    CUSTOMER_LINK = "customer_link"
    # The printed waybill, and the handheld's copy of a pickup's recipient it prints from.
    LABEL = "label"
    # Station staff (console board, search, shipment file) and operator logs: carrier prefix and
    # last four, which is what callers and the console's search by phone use; the full number only
    # as an audited unmask.
    STAFF = "staff"
    # The courier delivering the parcel: prefix and last four, the 尾号 to confirm who opens the
    # door. They call through a virtual number bound to the job (backend/calls/), never this one.
    COURIER = "courier"


PHONE_POLICY: Mapping[Surface, Callable[[str], str]] = {
    Surface.PUBLIC_TRACKING: mask_phone_public,
    Surface.CUSTOMER_LINK: mask_phone_label,
    Surface.LABEL: mask_phone_label,
    Surface.STAFF: mask_phone,
    Surface.COURIER: mask_phone,
}


def phone_for(surface: Surface, phone: str) -> str:
    """A phone number as ``surface`` may show it (``PHONE_POLICY``)."""
    return PHONE_POLICY[surface](phone)
