"""Putting a question to the customer, and withdrawing it."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.common.validators import clean_time_window
from backend.negotiation.models import Negotiation
from backend.negotiation.option import OptionInput
from backend.negotiation.services.recording import feed_negotiation, lock_negotiation, record
from backend.negotiation.states import NEEDS_CONSENT, NegotiationState, OptionKind, Trigger
from backend.shipments.context import Ctx
from backend.shipments.services.recording import lock_job, require_own_job
from backend.shipments.states import JobKind, JobStatus, ReasonCode

LANGUAGES = ("zh", "en")
MAX_OPTIONS = 12
# A negotiation about a finished or abandoned job would be a question nobody can act on.
_CLOSED_JOB = frozenset({JobStatus.COMPLETED, JobStatus.CANCELLED})


def _clean_options(options: list[OptionInput], default_key: str) -> None:
    if not 1 <= len(options) <= MAX_OPTIONS:
        raise DomainError("invalid", f"offer between 1 and {MAX_OPTIONS} options")
    keys = [o.key for o in options]
    if len(set(keys)) != len(keys) or not all(k and len(k) <= 16 for k in keys):
        raise DomainError("invalid", "option keys must be unique, 1–16 characters")
    for o in options:
        if o.kind not in OptionKind.values:
            raise DomainError("invalid", f"unknown option kind {o.kind!r}")
        if any(not (o.text.get(lang) or "").strip() for lang in LANGUAGES):
            raise DomainError("invalid", f"option {o.key} needs its text in {', '.join(LANGUAGES)}")
        if o.kind == OptionKind.WINDOW:
            if o.window_start is None or o.window_end is None:
                raise DomainError("invalid_time_window", f"option {o.key} is a window without its times")
            clean_time_window(o.window_start, o.window_end)
    default = next((o for o in options if o.key == default_key), None)
    if default is None:
        raise DomainError("invalid", f"the default {default_key!r} is not one of the options")
    if default.kind in NEEDS_CONSENT or default.kind == OptionKind.RETURN:
        # Silence is not consent: a parcel is never put in a locker or sent back by default.
        raise DomainError("invalid", f"a {default.kind} option cannot be the default")


@transaction.atomic
def negotiation_offer(
    *,
    job_id: int,
    ctx: Ctx,
    trigger: str,
    options: list[OptionInput],
    default_key: str,
    deadline: datetime,
    reason_code: str = "",
    attempt_number: int | None = None,
    now: datetime | None = None,
) -> Negotiation:
    """Offer ``options`` to the customer of a delivery job; supersedes the job's open negotiation.

    Locks the job, its shipment, then the job's open negotiation. Refuses a closed job
    (``invalid_transition``), a pickup (``wrong_job_kind``), a deadline in the past and a default
    that would need consent (``invalid``). With ``attempt_number`` (the failed-attempt trigger) it
    is idempotent: the negotiation already opened for that attempt is returned. Appends ``negotiation.updated`` for the superseded one
    and the new one; both reach the courier and the station after commit.
    """
    now = now or timezone.now()
    if trigger not in Trigger.values:
        raise DomainError("invalid", f"unknown trigger {trigger!r}")
    if reason_code and reason_code not in ReasonCode.values:
        raise DomainError("unknown_reason_code", f"{reason_code!r} is not a known reason code")
    if deadline.tzinfo is None or deadline <= now:
        raise DomainError("invalid", "the deadline must be an aware time in the future")
    _clean_options(options, default_key)
    job = lock_job(job_id)
    require_own_job(ctx, job)
    if job.kind != JobKind.DELIVERY:
        raise DomainError("wrong_job_kind", "only a delivery is negotiated with its customer")
    if job.status in _CLOSED_JOB:
        raise DomainError(
            "invalid_transition",
            f"job {job.pk} is {job.status}; there is nothing left to agree",
            entity="job",
            current=job.status,
            requested="negotiation",
        )
    if attempt_number is not None:
        done = Negotiation.objects.filter(job_id=job.pk, attempt_number=attempt_number).first()
        if done is not None:
            return done
    superseded = list(
        Negotiation.objects.select_for_update().filter(job_id=job.pk, state=NegotiationState.OFFERED)
    )
    for old in superseded:
        old.state = NegotiationState.SUPERSEDED
        old.closed_at = now
        old.save(update_fields=["state", "closed_at"])
    negotiation = Negotiation.objects.create(
        job=job,
        shipment_id=job.shipment_id,
        station_id=job.station_id,
        trigger=trigger,
        reason_code=reason_code,
        attempt_number=attempt_number,
        options=[o.as_json() for o in options],
        deadline=deadline,
        default_key=default_key,
        created_by_id=ctx.actor.user_id,
        created_at=now,
    )
    for old in superseded:
        record(old, "superseded", ctx, now, {"by": negotiation.pk})
    record(negotiation, "offered", ctx, now, {"trigger": trigger, "reason_code": reason_code})
    for old in superseded:
        feed_negotiation(old, job)
    feed_negotiation(negotiation, job)
    return negotiation


@transaction.atomic
def negotiation_cancel(
    *, negotiation_id: int, ctx: Ctx, reason: str, now: datetime | None = None
) -> Negotiation:
    """Withdraw an open negotiation (the parcel was delivered another way, the offer was wrong).

    ``invalid_transition`` when it is no longer open; the job is left as it is.
    """
    now = now or timezone.now()
    if not reason.strip():
        raise DomainError("invalid", "a reason is required to cancel a negotiation")
    negotiation, job = lock_negotiation(negotiation_id)
    require_own_job(ctx, job)
    if negotiation.state != NegotiationState.OFFERED:
        raise DomainError(
            "invalid_transition",
            f"negotiation {negotiation.pk} is {negotiation.state}",
            entity="negotiation",
            current=negotiation.state,
            requested=NegotiationState.CANCELLED,
        )
    negotiation.state = NegotiationState.CANCELLED
    negotiation.closed_at = now
    negotiation.save(update_fields=["state", "closed_at"])
    record(negotiation, "cancelled", ctx, now, {"reason": reason[:200]})
    feed_negotiation(negotiation, job)
    return negotiation
