"""The HMAC scheme of the webhook, both ways (our requests to the provider, its callbacks to us).

    X-Parcelrun-Timestamp: 1764000000                      (Unix seconds, when it was signed)
    X-Parcelrun-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

The timestamp is inside the signed bytes, so a captured request cannot be replayed later than
``TOLERANCE_S`` with a fresh timestamp; within that window a replay changes nothing (sending and
status updates are idempotent). Verification compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Parcelrun-Timestamp"
SIGNATURE_HEADER = "X-Parcelrun-Signature"
VERSION = "v1"
TOLERANCE_S = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{VERSION}={mac.hexdigest()}"


def sign_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(secret: str, timestamp: str | None, given: str | None, body: bytes, now: int) -> bool:
    """True when ``given`` signs ``body`` at ``timestamp`` with ``secret``, and is recent."""
    if not secret or not timestamp or not given or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > TOLERANCE_S:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), given.strip())
