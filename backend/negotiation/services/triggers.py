"""Negotiations opened by something that happened: a failed attempt, the morning prompt, a proposal."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from backend.accounts.roles import Role
from backend.common.errors import DomainError
from backend.common.validators import clean_time_window
from backend.negotiation.models import Negotiation
from backend.negotiation.option import OptionInput
from backend.negotiation.options import in_person_only, options_for, station_option, window_options
from backend.negotiation.services.offer import negotiation_offer
from backend.negotiation.states import NegotiationState, OptionKind, Trigger
from backend.shipments.context import Ctx
from backend.shipments.models import DeliveryAttempt, Job
from backend.shipments.services.recording import lock_job
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


# The morning prompt asks about the day's plan: a job the courier is about to reach is not asked.
MORNING_NOTICE = timedelta(minutes=30)  # the planned window must start at least this far ahead
MORNING_CUTOFF = timedelta(minutes=15)  # answers close this long before the planned window starts
PLANNED = frozenset({JobStatus.ASSIGNED, JobStatus.ACCEPTED})  # in a courier's plan, not yet under way


def planned_window(eta: datetime) -> tuple[datetime, datetime]:
    """The one-hour window the customer is told: the plan's ETA ± 30 minutes, to the minute."""
    eta = eta.replace(second=0, microsecond=0)
    return eta - timedelta(minutes=30), eta + timedelta(minutes=30)


def station_day_bounds(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants a station's day starts and ends (its own midnight, not UTC's)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def _planned_option(tz: ZoneInfo, start: datetime, end: datetime) -> OptionInput:
    hours = f"{start.astimezone(tz):%H:%M}–{end.astimezone(tz):%H:%M}"
    return OptionInput(
        key="planned",
        kind=OptionKind.KEEP,
        text={"zh": f"今天 {hours}（按计划）", "en": f"Today {hours}, as planned"},
        window_start=start,
        window_end=end,
    )


def _apart(option: OptionInput, start: datetime, end: datetime) -> bool:
    """A window that does not overlap the planned one (that one is the first button already)."""
    assert option.window_start is not None and option.window_end is not None
    return option.window_end <= start or option.window_start >= end


def _not_askable(job: Job, day: date, now: datetime) -> bool:
    """Outside the day's plan, already asked something, or too close to ask about."""
    return (
        job.status not in PLANNED
        or job.courier_id is None
        or job.eta is None
        or job.service_date != day
        or planned_window(job.eta)[0] - now < MORNING_NOTICE
        or Negotiation.objects.filter(job_id=job.pk, state=NegotiationState.OFFERED).exists()
    )


def negotiation_offer_morning(*, job_id: int, day: date, now: datetime | None = None) -> Negotiation | None:
    """The morning prompt of one delivery in the station's plan for ``day`` (the station's date).

    Offers the planned one-hour window (``planned_window`` of the job's ETA as the plan has it at
    this moment; kept when nobody answers), the other windows the route can keep today and
    tomorrow, and collection at the station. Once per job per station day: a second run returns
    the negotiation the first one opened (the job's row lock orders two concurrent runs). Nothing
    is offered (None) for a job not in that day's plan (no courier, no ETA, under way or closed),
    one with an open question already (a proposal, a failed attempt's), or one whose planned window
    starts within ``MORNING_NOTICE``. Answers close ``MORNING_CUTOFF`` before the window.
    """
    now = now or timezone.now()
    job = Job.objects.select_related("station", "shipment").filter(pk=job_id).first()
    if job is None or job.kind != JobKind.DELIVERY:
        return None
    tz = ZoneInfo(job.station.time_zone)
    day_start, day_end = station_day_bounds(day, tz)
    done = Negotiation.objects.filter(
        job_id=job_id, trigger=Trigger.MORNING, created_at__gte=day_start, created_at__lt=day_end
    )
    already = done.first()
    if already is not None or _not_askable(job, day, now):
        return already
    # The route's windows read the courier's whole plan: before the lock, like the failed-attempt trigger.
    windows = window_options(job, now)
    with transaction.atomic():
        job = lock_job(job_id)
        already = done.first()
        if already is not None:
            return already
        if _not_askable(job, day, now):
            return None
        assert job.eta is not None
        # The window comes from the locked row: the plan as it is now.
        start, end = planned_window(job.eta)
        return negotiation_offer(
            job_id=job_id,
            ctx=Ctx.system(),
            trigger=Trigger.MORNING,
            options=[
                _planned_option(tz, start, end),
                *(w for w in windows if _apart(w, start, end)),
                *([] if in_person_only(job) else [station_option()]),
            ],
            default_key="planned",
            deadline=start - MORNING_CUTOFF,
            now=now,
        )
