"""The station's 6-digit pickup code: derived, never stored.

A hold keeps a random 128-bit ``secret``; the code is HMAC-SHA256(SECRET_KEY, secret) reduced to
six digits. The customer's page derives it to show it, the counter derives it to compare, and
nothing else ever sees it — the feeds, the job's ``next_step``, the events and the logs carry the
hold's id only. Rotating SECRET_KEY changes the codes of open holds (say so at the counter).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

DIGITS = 6
_SALT = b"parcelrun.negotiation.pickup-code:"


def new_secret() -> str:
    return secrets.token_hex(16)


def code_of(secret: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), _SALT + secret.encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**DIGITS:0{DIGITS}d}"


def matches(secret: str, code: str) -> bool:
    """Constant-time comparison of a code read out at the counter."""
    return hmac.compare_digest(code_of(secret).encode(), code.strip().encode())


def max_attempts() -> int:
    """Wrong codes before the hold locks (setting ``PARCELRUN_PICKUP_CODE_MAX_ATTEMPTS``, 5)."""
    return int(getattr(settings, "PARCELRUN_PICKUP_CODE_MAX_ATTEMPTS", 5))
