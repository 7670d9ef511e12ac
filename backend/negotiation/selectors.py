"""Reads for the customer's page: only what the customer may see, masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from backend.common.errors import DomainError
from backend.negotiation.cutoff import OPEN, Cutoff, job_cutoff, moves_visit
from backend.negotiation.links import LinkClaims
from backend.negotiation.models import Negotiation
from backend.negotiation.states import NegotiationState
from parcelkit.rules.privacy import mask_address, mask_name, mask_phone


@dataclass(frozen=True)
class PageOption:
    key: str
    kind: str
    text: str
    pickup_code: str = ""
    moves: bool = False  # moves the visit (time or place): not possible past the cut-off


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
    # The live part (docs/negotiation.md: "The cut-off", "Live ETA on the page").
    cutoff: Cutoff = OPEN  # where the courier's plan stands; options past it are left out
    eta_at: str = ""  # the ETA as ISO 8601, for the page's live cut-off hint
    window: str = ""  # the agreed window, local "HH:MM–HH:MM", or ""
    time_zone: str = ""  # the station's, in which the page shows times


def _option(o: dict[str, Any], lang: str, *, reveal: bool = False) -> PageOption:
    # The station's pickup code is shown only once the customer chose the station.
    return PageOption(
        str(o["key"]),
        str(o["kind"]),
        str(o["text"][lang]),
        str(o.get("pickup_code", "")) if reveal else "",
        moves=moves_visit(str(o["kind"])),
    )


def negotiation_page(claims: LinkClaims, lang: str, now: datetime | None = None) -> PageView:
    """The page of the negotiation a link names; ``not_found`` when it names nothing real, or a
    negotiation of another shipment (a link never shows another shipment's data). While it is
    open, only the options still possible at ``now`` are listed (the cut-off, ``cutoff.py``)."""
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
    cut = job_cutoff(job, now or timezone.now()) if n.state == NegotiationState.OFFERED else OPEN
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
        options=[_option(o, lang) for o in n.options if cut.allows(str(o["kind"]))],
        chosen=_option(chosen, lang, reveal=True) if chosen else None,
        station_name=n.station.name,
        station_address=n.station.address,
        cutoff=cut,
        eta_at=job.eta.isoformat() if job.eta else "",
        window=_window(job.window_start, job.window_end, tz),
        time_zone=n.station.time_zone,
    )


def _window(start: datetime | None, end: datetime | None, tz: ZoneInfo) -> str:
    if start is None or end is None:
        return ""
    return f"{start.astimezone(tz):%H:%M}–{end.astimezone(tz):%H:%M}"
