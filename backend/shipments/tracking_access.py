"""Who may read a shipment's tracking details without logging in: whoever knows the last four
digits of the recipient's phone, as the large Chinese carriers ask (issue 16).

Check digits are no secret, so tracking numbers can be walked; the status alone says little, the
details (masked name, window, history) need the phone's last four. Wrong guesses are counted per
tracking number in the shared cache: after ``PARCELRUN_TRACK_MAX_MISSES`` within
``PARCELRUN_TRACK_MISS_WINDOW_S`` that number answers only 429 until the window passes, so four
digits (10,000 tries) cannot be walked either.
"""

from __future__ import annotations

import hmac
import re

from django.conf import settings
from django.core.cache import cache

from backend.common.counters import cache_count
from backend.common.errors import DomainError


def _max_misses() -> int:
    return int(getattr(settings, "PARCELRUN_TRACK_MAX_MISSES", 5))


def _window_s() -> int:
    return int(getattr(settings, "PARCELRUN_TRACK_MISS_WINDOW_S", 3600))


def _key(tracking_no: str) -> str:
    return f"track:misses:{tracking_no}"


def phone_last4(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-4:]


def tracking_details_check(tracking_no: str, recipient_phone: str, given: str) -> None:
    """Let the caller see the details, or raise ``phone_mismatch`` (403) / ``too_many_attempts`` (429)."""
    key = _key(tracking_no)
    misses = cache.get(key, 0)
    if misses >= _max_misses():
        raise DomainError(
            "too_many_attempts",
            "too many wrong phone digits for this tracking number; try again later",
            retry_after_s=_window_s(),
        )
    expected = phone_last4(recipient_phone)
    if len(given) == 4 and given.isdigit() and expected and hmac.compare_digest(given, expected):
        return
    cache_count(key, _window_s())
    raise DomainError("phone_mismatch", "those are not the last four digits of the recipient's phone")
