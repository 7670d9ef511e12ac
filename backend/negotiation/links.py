"""Signed, expiring links to the customer's page: one link names one shipment and one negotiation.

The token is signed with SECRET_KEY (HMAC-SHA256) and carries a 128-bit random link id, so it
cannot be guessed or altered; the link id is what rate limits count and what a consent record
names. A link stops working after ``LINK_MAX_AGE_S`` and, whatever its age, once its negotiation
is no longer open (the page then says so).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core import signing

from backend.common.errors import DomainError

SALT = "parcelrun.negotiation-link.v1"
LINK_MAX_AGE_S = 2 * 24 * 3600


@dataclass(frozen=True)
class LinkClaims:
    negotiation_id: int
    shipment_id: int
    link_id: str


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def link_issue(*, negotiation_id: int, shipment_id: int, now: datetime) -> tuple[str, LinkClaims, datetime]:
    """A URL-safe token for ``/n/<token>/``, its claims, and when it expires."""
    link_id = secrets.token_urlsafe(16)  # 128 bits
    token = _signer().sign_object({"n": negotiation_id, "s": shipment_id, "k": link_id}, compress=False)
    return token, LinkClaims(negotiation_id, shipment_id, link_id), now + timedelta(seconds=LINK_MAX_AGE_S)


def link_open_expired(token: str) -> LinkClaims | None:
    """The claims of a token we signed, however old (None when tampered): for a bad-link page to
    say which station to call about an expired link. Never for reaching the negotiation itself."""
    try:
        data = _signer().unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    n, s, k = (data.get("n"), data.get("s"), data.get("k")) if isinstance(data, dict) else (None, None, None)
    if isinstance(n, int) and isinstance(s, int) and isinstance(k, str) and not isinstance(n, bool):
        return LinkClaims(n, s, k)
    return None


def link_open(token: str) -> LinkClaims:
    """The claims of a valid token; ``link_expired`` / ``link_invalid`` otherwise."""
    try:
        data = _signer().unsign_object(token, max_age=LINK_MAX_AGE_S)
    except signing.SignatureExpired:
        raise DomainError("link_expired", "this link has expired") from None
    except (signing.BadSignature, ValueError):
        raise DomainError("link_invalid", "this link is not valid") from None
    if not isinstance(data, dict):
        raise DomainError("link_invalid", "this link is not valid")
    n, s, k = data.get("n"), data.get("s"), data.get("k")
    if not (isinstance(n, int) and isinstance(s, int) and isinstance(k, str)) or isinstance(n, bool):
        raise DomainError("link_invalid", "this link is not valid")
    return LinkClaims(n, s, k)
