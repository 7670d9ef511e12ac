"""Reads for the customer's page: only what the customer may see, masked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from backend.common.errors import DomainError
from backend.negotiation.links import LinkClaims
from backend.negotiation.models import Negotiation
from parcelkit.rules.privacy import mask_address, mask_name, mask_phone


@dataclass(frozen=True)
class PageOption:
    key: str
    kind: str
    text: str
    pickup_code: str = ""


@dataclass(frozen=True)
class PageView:
    negotiation_id: int
    state: str
    tracking_no: str
    status: str
    recipient_name: str
    recipient_phone: str
    address: str
    eta: str  # local HH:MM, or ""
    deadline: str  # local HH:MM
    options: list[PageOption]
    chosen: PageOption | None
    station_name: str
    station_address: str


def _option(o: dict[str, Any], lang: str, *, reveal: bool = False) -> PageOption:
    # The station's pickup code is shown only once the customer chose the station.
    return PageOption(
        str(o["key"]), str(o["kind"]), str(o["text"][lang]), str(o.get("pickup_code", "")) if reveal else ""
    )


def negotiation_page(claims: LinkClaims, lang: str) -> PageView:
    """The page of the negotiation a link names; ``not_found`` when it names nothing real, or a
    negotiation of another shipment (a link never shows another shipment's data)."""
    n = (
        Negotiation.objects.select_related("shipment", "job", "station")
        .filter(pk=claims.negotiation_id, shipment_id=claims.shipment_id)
        .first()
    )
    if n is None:
        raise DomainError("not_found", "no such parcel")
    tz = ZoneInfo(n.station.time_zone)
    s, job = n.shipment, n.job
    chosen = n.option(n.chosen_key) if n.chosen_key else None
    return PageView(
        negotiation_id=n.pk,
        state=n.state,
        tracking_no=s.tracking_no,
        status=s.status,
        recipient_name=mask_name(s.recipient_name),
        recipient_phone=mask_phone(s.recipient_phone),
        address=mask_address(job.address),
        eta=f"{job.eta.astimezone(tz):%H:%M}" if job.eta else "",
        deadline=f"{n.deadline.astimezone(tz):%m-%d %H:%M}",
        options=[_option(o, lang) for o in n.options],
        chosen=_option(chosen, lang, reveal=True) if chosen else None,
        station_name=n.station.name,
        station_address=n.station.address,
    )
