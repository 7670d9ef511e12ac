"""Negotiations opened by something that happened: a failed attempt (more triggers to come)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from backend.negotiation.models import Negotiation
from backend.negotiation.options import options_for
from backend.negotiation.services.offer import negotiation_offer
from backend.negotiation.states import Trigger
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
