"""What the customer page's live part may read: the shipment feed its link opens.

A negotiation link (``links.py``) opens the page of one negotiation and, for the live ETA, the
shipment feed (``/ws/shipment/<tracking_no>/``) of that negotiation's shipment and of no other
(``backend/realtime/auth.py`` checks the path's tracking number against it). It stops opening the
feed when the page stops opening: once its negotiation was superseded or cancelled, or it expired.
"""

from __future__ import annotations

from backend.common.errors import DomainError
from backend.negotiation.links import link_open
from backend.negotiation.models import Negotiation
from backend.negotiation.states import NegotiationState

_CLOSED = (NegotiationState.SUPERSEDED, NegotiationState.CANCELLED)


def link_feed_shipment_id(token: str) -> int:
    """The shipment whose feed a negotiation link may follow; ``link_invalid``, ``link_expired``
    or ``negotiation_closed`` otherwise."""
    claims = link_open(token)
    state = (
        Negotiation.objects.filter(pk=claims.negotiation_id, shipment_id=claims.shipment_id)
        .values_list("state", flat=True)
        .first()
    )
    if state is None:
        raise DomainError("link_invalid", "this link is not valid")
    if state in _CLOSED:
        raise DomainError("negotiation_closed", "a newer link replaced this one")
    return claims.shipment_id
