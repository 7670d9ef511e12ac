"""Shipment search for a station: by tracking number, the phone's last four digits or an address fragment.

What the query looks like decides what it searches, so one box does all three. Results carry
masked contacts only (``parcelkit.rules.privacy``); the full values need an audited unmask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from backend.console.labels import label
from backend.shipments.models import Shipment
from backend.shipments.states import ShipmentStatus
from parcelkit.rules.privacy import Surface, mask_address, mask_name, phone_for

LIMIT = 50
MAX_QUERY = 100
_PHONE_SUFFIX = re.compile(r"\d{4}")
_TRACKING = re.compile(r"[A-Za-z0-9]{5,14}")


@dataclass(frozen=True)
class SearchHit:
    tracking_no: str
    status: str
    status_label: str
    recipient: str  # masked name and phone
    address: str  # masked
    created_at: datetime


@dataclass(frozen=True)
class SearchResult:
    query: str
    by: str  # "tracking_no", "phone_suffix", "address", or "" for no search
    hits: list[SearchHit]
    more: bool  # more than LIMIT matched


def _filter(q: str) -> tuple[str, Q | None]:
    if _PHONE_SUFFIX.fullmatch(q):
        return "phone_suffix", Q(recipient_phone__endswith=q) | Q(sender_phone__endswith=q)
    if _TRACKING.fullmatch(q):
        return "tracking_no", Q(tracking_no__icontains=q)
    if len(q) >= 2:
        return "address", Q(recipient_address__icontains=q) | Q(sender_address__icontains=q)
    return "", None


def shipment_search(*, station_id: int, query: str) -> SearchResult:
    """Shipments of ``station_id`` matching ``query``, newest first, at most ``LIMIT`` (one query)."""
    q = query.strip()[:MAX_QUERY]
    by, match = _filter(q)
    if match is None:
        return SearchResult(query=q, by="", hits=[], more=False)
    rows = list(
        Shipment.objects.filter(match, station_id=station_id).order_by("-created_at", "-pk")[: LIMIT + 1]
    )
    hits = [
        SearchHit(
            tracking_no=s.tracking_no,
            status=s.status,
            status_label=label(ShipmentStatus, s.status),
            recipient=f"{mask_name(s.recipient_name)} {phone_for(Surface.STAFF, s.recipient_phone)}".strip(),
            address=mask_address(s.recipient_address),
            created_at=s.created_at,
        )
        for s in rows[:LIMIT]
    ]
    return SearchResult(query=q, by=by, hits=hits, more=len(rows) > LIMIT)
