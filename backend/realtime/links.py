"""Signed, expiring tracking links: one token opens the live feed of one shipment.

A link is what we text to a customer, so it must not be guessable (it is signed with SECRET_KEY)
and must stop working (it carries its issue time; ``PARCELRUN_TRACKING_LINK_MAX_AGE_S`` bounds
its age). It names the shipment by primary key, so a token is useless for any other shipment.
Rotating SECRET_KEY invalidates every link, which is the emergency revocation.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from backend.common.errors import DomainError

SALT = "parcelrun.tracking-link.v1"


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def link_issue(*, shipment_id: int) -> str:
    """A URL-safe token for the shipment's customer page and ``/ws/shipment/<tracking_no>/``."""
    return _signer().sign_object({"s": shipment_id}, compress=False)


def link_shipment_id(token: str) -> int:
    """The shipment a valid token names; ``link_expired`` / ``link_invalid`` otherwise."""
    try:
        data = _signer().unsign_object(token, max_age=settings.PARCELRUN_TRACKING_LINK_MAX_AGE_S)
    except signing.SignatureExpired:
        raise DomainError("link_expired", "this tracking link has expired") from None
    except (signing.BadSignature, ValueError):
        # ValueError: a token that is not even base64/JSON after a correct-looking signature.
        raise DomainError("link_invalid", "this tracking link is not valid") from None
    shipment_id = data.get("s") if isinstance(data, dict) else None
    if not isinstance(shipment_id, int) or isinstance(shipment_id, bool):
        raise DomainError("link_invalid", "this tracking link is not valid")
    return shipment_id
