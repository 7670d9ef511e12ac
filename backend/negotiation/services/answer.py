"""The customer's answer, or the default when nobody answers, and what it does to the job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.common.validators import clean_coordinates
from backend.negotiation import pickup_codes
from backend.negotiation.area import Place, locate
from backend.negotiation.cutoff import check_cutoff
from backend.negotiation.models import Consent, Negotiation, PickupHold
from backend.negotiation.services.exceptions import exception_open
from backend.negotiation.services.recording import feed_negotiation, lock_negotiation, record
from backend.negotiation.states import NEXT_STEP_OF, Channel, ExceptionKind, NegotiationState, OptionKind
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services.arrangement import job_set_arrangement
from backend.shipments.states import JobStatus

LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class AnswerResult:
    """``won`` is False when another answer (a second tap, another tab) got there first: then
    ``negotiation`` and ``consent`` are that answer's, so the caller shows the result, not an error."""

    negotiation: Negotiation
    consent: Consent
    won: bool


def _closed(negotiation: Negotiation) -> DomainError:
    code = "negotiation_expired" if negotiation.state == NegotiationState.EXPIRED else "negotiation_closed"
    return DomainError(
        code,
        f"this question was {negotiation.state}; it can no longer be answered",
        state=negotiation.state,
        chosen_key=negotiation.chosen_key,
    )


@transaction.atomic
def negotiation_answer(
    *,
    negotiation_id: int,
    option_key: str,
    channel: str,
    language: str,
    ctx: Ctx,
    link_id: str = "",
    answered_by: str = "",
    address: str = "",
    lat: float | None = None,
    lng: float | None = None,
    leave_with: str = "",
    now: datetime | None = None,
) -> AnswerResult:
    """Record the customer's choice as a consent record and apply it to the job.

    Locks the job, its shipment, then the negotiation, so of two concurrent answers one applies
    and the other finds it answered and gets its result (``won=False``). Past the deadline or
    once expired: ``negotiation_expired``; superseded or cancelled: ``negotiation_closed``; an
    unknown option: ``option_unknown``; a redirect without the new ``address`` (5–255 characters,
    ``lat``/``lng`` optional) or a neighbour / safe place without ``leave_with`` (who or where,
    2–100 characters): ``invalid``. The effect goes through ``job_set_arrangement`` (new window or
    disposition, failed job back to its courier, re-plan of that courier after commit); what needs
    a supervisor — a return, a redirect outside the station's area — opens a ``SupervisorException``.
    A hold at the station creates its ``PickupHold`` (the code is derived, never stored).
    """
    now = now or timezone.now()
    if channel not in Channel.values or channel == Channel.DEFAULT:
        raise DomainError("invalid", f"unknown channel {channel!r}")
    if language not in LANGUAGES:
        raise DomainError("invalid", f"language must be one of {LANGUAGES}")
    negotiation, job = lock_negotiation(negotiation_id)
    if negotiation.state == NegotiationState.ANSWERED:
        return AnswerResult(negotiation, Consent.objects.get(negotiation=negotiation), won=False)
    if negotiation.state != NegotiationState.OFFERED:
        raise _closed(negotiation)
    if now >= negotiation.deadline:
        raise DomainError("negotiation_expired", "the time to answer has passed", state=negotiation.state)
    option = negotiation.option(option_key)
    if option is None:
        raise DomainError("option_unknown", f"{option_key!r} is not one of the options offered")
    check_cutoff(job, option_kind=str(option["kind"]), channel=channel, now=now)  # past_cutoff
    text: dict[str, str] = option["text"]  # type: ignore[assignment]
    details: dict[str, Any] = {}
    place: Place | None = None
    if option["kind"] == OptionKind.REDIRECT:
        place = _redirect_place(job, address, lat, lng)
        details = {
            "address": place.address,
            "lat": place.lat,
            "lng": place.lng,
            "located": place.source,
            "inside_area": place.inside,
            "distance_m": place.distance_m,
        }
        option = {**option, "address": place.address, "lat": place.lat, "lng": place.lng}
    elif option["kind"] in (OptionKind.NEIGHBOUR, OptionKind.SAFE_PLACE):
        leave_with = " ".join(leave_with.split())
        if not 2 <= len(leave_with) <= 100:
            raise DomainError("invalid", "say who or where (2–100 characters)", field="leave_with")
        name = "neighbour" if option["kind"] == OptionKind.NEIGHBOUR else "place"
        details = {name: leave_with}
        option = {**option, name: leave_with}
    consent = Consent.objects.create(
        negotiation=negotiation,
        job_id=job.pk,
        shipment_id=negotiation.shipment_id,
        option_key=option_key,
        option_kind=str(option["kind"]),
        language=language,
        shown_text=text[language][:300],
        window_start=_when(option.get("window_start")),
        window_end=_when(option.get("window_end")),
        channel=channel,
        link_id=link_id[:64],
        actor_id=ctx.actor.user_id,
        answered_by=answered_by[:64],
        answered_at=now,
        details=details,
    )
    negotiation.state = NegotiationState.ANSWERED
    negotiation.chosen_key = option_key
    negotiation.closed_at = now
    negotiation.save(update_fields=["state", "chosen_key", "closed_at"])
    record(
        negotiation, "answered", ctx, now, {"option": option_key, "channel": channel, "consent": consent.pk}
    )
    job = _apply(negotiation, option, job, ctx, consent_id=consent.pk, place=place, now=now)
    feed_negotiation(negotiation, job)
    return AnswerResult(negotiation, consent, won=True)


def _redirect_place(job: Job, address: str, lat: float | None, lng: float | None) -> Place:
    address = " ".join(address.split())
    if not 5 <= len(address) <= 255:
        raise DomainError("invalid", "give the new address (5–255 characters)", field="address")
    if (lat is None) != (lng is None):
        raise DomainError("invalid_coordinates", "give both lat and lng, or neither")
    if lat is not None and lng is not None:
        clean_coordinates(lat, lng)
    return locate(job.station, address, lat, lng)


@transaction.atomic
def negotiation_expire(*, negotiation_id: int, now: datetime | None = None) -> Negotiation:
    """Apply the default of an unanswered negotiation whose deadline has passed.

    Safe to run twice and early: a negotiation that is no longer open, or whose deadline is still
    ahead, is returned unchanged.
    """
    now = now or timezone.now()
    negotiation, job = lock_negotiation(negotiation_id)
    if negotiation.state != NegotiationState.OFFERED or now < negotiation.deadline:
        return negotiation
    option = negotiation.option(negotiation.default_key)
    assert option is not None, "negotiation_offer checks the default is an option"
    ctx = Ctx.system()
    negotiation.state = NegotiationState.EXPIRED
    negotiation.chosen_key = negotiation.default_key
    negotiation.closed_at = now
    negotiation.save(update_fields=["state", "chosen_key", "closed_at"])
    record(negotiation, "expired", ctx, now, {"default": negotiation.default_key})
    job = _apply(negotiation, option, job, ctx, consent_id=None, place=None, now=now)
    feed_negotiation(negotiation, job)
    return negotiation


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _apply(
    negotiation: Negotiation,
    option: dict[str, Any],
    job: Job,
    ctx: Ctx,
    *,
    consent_id: int | None,
    place: Place | None,
    now: datetime,
) -> Job:
    """Write what was agreed onto the job through the shipments service (the one write path).

    Holds the job lock. A station pickup code never goes on the job (it is in the feeds): the
    job names the ``PickupHold``. What a supervisor must decide opens an exception for them.
    """
    kind = option["kind"]
    if kind == OptionKind.KEEP and job.status != JobStatus.FAILED:
        return job  # nothing changes: the planned visit stands
    step: dict[str, Any] = {"kind": NEXT_STEP_OF[kind], "negotiation_id": negotiation.pk}
    if consent_id is not None:
        step["consent_id"] = consent_id
    for extra in ("locker", "address", "lat", "lng", "neighbour", "place"):
        if option.get(extra) is not None:
            step[extra] = option[extra]
    if kind == OptionKind.HOLD_STATION and consent_id is not None:
        hold = PickupHold.objects.create(
            consent_id=consent_id,
            job_id=job.pk,
            station_id=job.station_id,
            secret=pickup_codes.new_secret(),
            created_at=now,
        )
        step["pickup_hold_id"] = hold.pk
    if kind == OptionKind.RETURN:
        step["confirmed"] = False  # a supervisor confirms a return before it happens
        exception_open(job, negotiation, ExceptionKind.RETURN_PENDING, {}, now)
    if place is not None and not place.inside:
        # Another station's area: a transfer, the supervisor's call. The address stays as it was.
        step["transfer"] = "pending"
        exception_open(
            job,
            negotiation,
            ExceptionKind.REDIRECT_OUTSIDE_AREA,
            {"address": place.address, "lat": place.lat, "lng": place.lng, "distance_m": place.distance_m},
            now,
        )
        return job_set_arrangement(job_id=job.pk, ctx=ctx, next_step=step, reopen=False)
    window = (_when(option.get("window_start")), _when(option.get("window_end")))
    if kind == OptionKind.WINDOW:
        step["window_start"], step["window_end"] = option["window_start"], option["window_end"]
    return job_set_arrangement(
        job_id=job.pk,
        ctx=ctx,
        next_step=step,
        window_start=window[0] if kind == OptionKind.WINDOW else None,
        window_end=window[1] if kind == OptionKind.WINDOW else None,
        address=place.address if place is not None else None,
        lat=place.lat if place is not None else None,
        lng=place.lng if place is not None else None,
    )
