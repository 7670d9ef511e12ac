"""Negotiations opened by something that happened: a failed attempt (more triggers to come)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from backend.accounts.roles import Role
from backend.common.errors import DomainError
from backend.common.validators import clean_time_window
from backend.negotiation.models import Negotiation
from backend.negotiation.option import OptionInput
from backend.negotiation.options import options_for
from backend.negotiation.services.offer import negotiation_offer
from backend.negotiation.states import OptionKind, Trigger
from backend.shipments.context import Ctx
from backend.shipments.models import DeliveryAttempt, Job
from backend.shipments.states import JobKind, JobStatus

ANSWER_WITHIN = timedelta(hours=2)  # then the default (try again on the next round) applies


def negotiation_offer_after_failure(
    *, job_id: int, attempt_number: int, now: datetime | None = None
) -> Negotiation | None:
    """Open the negotiation of a failed delivery attempt, with options fitting its reason code.

    Safe to run twice (the same negotiation is returned) and late: when the job has moved on since
    that attempt (re-assigned, another attempt, closed) nothing is offered and None is returned.
    The options are computed from the courier's plan before the job is locked (a read of many
    rows); ``negotiation_offer`` then locks and writes.
    """
    now = now or timezone.now()
    job = Job.objects.select_related("shipment", "station").filter(pk=job_id).first()
    if job is None or job.kind != JobKind.DELIVERY:
        return None
    existing = Negotiation.objects.filter(job_id=job_id, attempt_number=attempt_number).first()
    if existing is not None:
        return existing
    if job.status != JobStatus.FAILED or job.attempt_count != attempt_number:
        return None
    attempt = DeliveryAttempt.objects.filter(job_id=job_id, number=attempt_number, succeeded=False).first()
    if attempt is None:
        return None
    options, default_key = options_for(job, attempt.reason_code, now)
    return negotiation_offer(
        job_id=job_id,
        ctx=Ctx.system(),
        trigger=Trigger.FAILED_ATTEMPT,
        options=options,
        default_key=default_key,
        deadline=now + ANSWER_WITHIN,
        reason_code=attempt.reason_code,
        attempt_number=attempt_number,
        now=now,
    )


def negotiation_propose(
    *, job_id: int, ctx: Ctx, window_start: datetime, window_end: datetime, now: datetime | None = None
) -> Negotiation:
    """A courier (their own job) or a supervisor proposes a time: "I can come at 14:30, OK?".

    Offers the proposed window and "keep as planned" (the default); the customer answers on the
    page. The deadline is the proposed start, at most ``ANSWER_WITHIN`` away. Supersedes the job's
    open negotiation. ``invalid_time_window`` for a window that is not ahead of ``now``.
    """
    now = now or timezone.now()
    clean_time_window(window_start, window_end)
    if window_start <= now:
        raise DomainError("invalid_time_window", "propose a time that is still ahead")
    job = Job.objects.select_related("station").filter(pk=job_id).first()
    if job is None:
        raise DomainError("not_found", f"job {job_id} does not exist")
    tz = ZoneInfo(job.station.time_zone)
    start, end = window_start.astimezone(tz), window_end.astimezone(tz)
    day = start.date() != now.astimezone(tz).date()
    hours = f"{start:%H:%M}–{end:%H:%M}"
    proposal = OptionInput(
        key="proposed",
        kind=OptionKind.WINDOW,
        text={"zh": f"{'明天 ' if day else ''}{hours}", "en": f"{'Tomorrow ' if day else ''}{hours}"},
        window_start=window_start,
        window_end=window_end,
    )
    keep = OptionInput(
        key="keep", kind=OptionKind.KEEP, text={"zh": "按原计划派送", "en": "Keep the planned time"}
    )
    trigger = Trigger.COURIER if ctx.actor.role is Role.COURIER else Trigger.SUPERVISOR
    return negotiation_offer(
        job_id=job_id,
        ctx=ctx,
        trigger=trigger,
        options=[proposal, keep],
        default_key="keep",
        deadline=min(window_start, now + ANSWER_WITHIN),
        now=now,
    )
