"""Reads for the customer's page: only what the customer may see, masked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from backend.common.errors import DomainError
from backend.negotiation import pickup_codes
from backend.negotiation.cutoff import OPEN, Cutoff, job_cutoff, moves_visit
from backend.negotiation.links import LinkClaims, link_open_expired
from backend.negotiation.models import Negotiation, PickupHold, SupervisorException
from backend.negotiation.states import NegotiationState
from parcelkit.rules.privacy import Surface, mask_address, mask_name, phone_for


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
    station_phone: str = ""  # blank when the station has none
    # The live part (docs/negotiation.md: "The cut-off", "Live ETA on the page").
    cutoff: Cutoff = OPEN  # where the courier's plan stands; options past it are left out
    eta_at: str = ""  # the ETA as ISO 8601, for the page's live cut-off hint
    window: str = ""  # the agreed window, local "HH:MM–HH:MM", or ""
    time_zone: str = ""  # the station's, in which the page shows times


@dataclass(frozen=True)
class StationContact:
    """Whom a customer with a bad link can call: the station delivering the parcel."""

    name: str
    address: str
    phone: str


def _option(o: dict[str, Any], lang: str, *, code: str = "") -> PageOption:
    return PageOption(
        str(o["key"]), str(o["kind"]), str(o["text"][lang]), code, moves=moves_visit(str(o["kind"]))
    )


def _pickup_code(n: Negotiation) -> str:
    """The station's pickup code, shown only to the customer who chose the station (derived, never stored)."""
    secret = PickupHold.objects.filter(consent__negotiation_id=n.pk).values_list("secret", flat=True).first()
    return pickup_codes.code_of(secret) if secret else ""


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
        recipient_phone=phone_for(Surface.CUSTOMER_LINK, s.recipient_phone),
        address=mask_address(job.address),
        eta=f"{job.eta.astimezone(tz):%H:%M}" if job.eta else "",
        deadline=f"{n.deadline.astimezone(tz):%m-%d %H:%M}",
        options=[_option(o, lang) for o in n.options if cut.allows(str(o["kind"]))],
        chosen=_option(chosen, lang, code=_pickup_code(n)) if chosen else None,
        station_name=n.station.name,
        station_address=n.station.address,
        station_phone=n.station.phone,
        cutoff=cut,
        eta_at=job.eta.isoformat() if job.eta else "",
        window=_window(job.window_start, job.window_end, tz),
        time_zone=n.station.time_zone,
    )


def _window(start: datetime | None, end: datetime | None, tz: ZoneInfo) -> str:
    if start is None or end is None:
        return ""
    return f"{start.astimezone(tz):%H:%M}–{end.astimezone(tz):%H:%M}"


def supervisor_exceptions_open(*, station_id: int) -> QuerySet[SupervisorException]:
    """The station's open exceptions, oldest first, with the job and shipment loaded (the
    console's exceptions queue): ``kind``, ``details``, ``created_at``, ``job``, ``shipment``."""
    return (
        SupervisorException.objects.filter(station_id=station_id, resolved_at__isnull=True)
        .select_related("job", "shipment")
        .order_by("created_at", "pk")
    )


def station_contact(view: PageView | None = None, token: str = "") -> StationContact | None:
    """The station of a page already read, or of an expired (but genuine) link; None otherwise."""
    if view is not None:
        return StationContact(view.station_name, view.station_address, view.station_phone)
    claims = link_open_expired(token) if token else None
    if claims is None:
        return None
    n = (
        Negotiation.objects.select_related("station")
        .filter(pk=claims.negotiation_id, shipment_id=claims.shipment_id)
        .first()
    )
    return StationContact(n.station.name, n.station.address, n.station.phone) if n else None


# --- the station counter ----------------------------------------------------------------------------

COUNTER_ROWS_MAX = 300  # a station's shelf; a search by tracking number finds any one beyond it


@dataclass(frozen=True)
class CounterRow:
    """A parcel waiting at the station for its customer, as the counter clerk sees it: the name
    masked (the clerk hears the pickup code, not the name), the phone as staff see it."""

    job_id: int
    tracking_no: str
    recipient_name: str
    recipient_phone: str
    cod_fen: int
    held_since: datetime
    failed_attempts: int
    locked: bool


def held_for_collection(station_id: int, *, tracking_no: str = "") -> list[CounterRow]:
    """The station's open pickup holds, oldest first (``tracking_no``: that parcel's only).

    A hold counts while it is the job's current one (``next_step.pickup_hold_id``): a customer who
    chose again left an older hold behind that no code opens any more."""
    holds = (
        PickupHold.objects.filter(station_id=station_id, handed_over_at__isnull=True)
        .select_related("job__shipment")
        .order_by("created_at", "pk")
    )
    if tracking_no:
        holds = holds.filter(job__shipment__tracking_no=tracking_no.strip())
    rows = []
    for hold in holds[: COUNTER_ROWS_MAX * 2]:
        job, shipment = hold.job, hold.job.shipment
        if job.next_step.get("pickup_hold_id") != hold.pk:
            continue
        rows.append(
            CounterRow(
                job_id=job.pk,
                tracking_no=shipment.tracking_no,
                recipient_name=mask_name(shipment.recipient_name),
                recipient_phone=phone_for(Surface.STAFF, shipment.recipient_phone),
                cod_fen=shipment.cod_amount_fen,
                held_since=hold.created_at,
                failed_attempts=hold.failed_attempts,
                locked=hold.locked_at is not None,
            )
        )
    return rows[:COUNTER_ROWS_MAX]
