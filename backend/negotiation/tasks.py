"""Celery tasks of the negotiation app: take ids, call one service, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from backend.negotiation.models import Negotiation
from backend.negotiation.services import negotiation_expire
from backend.negotiation.services.prompts import negotiation_prompt, negotiation_prompt_morning
from backend.negotiation.services.triggers import negotiation_offer_after_failure
from backend.negotiation.states import NegotiationState


@shared_task(name="negotiation.offer_after_failed_attempt", ignore_result=True)
def offer_after_failed_attempt(job_id: int, attempt_number: int) -> int | None:
    """Sent by ``shipments.services.followups`` after a failed delivery attempt commits; the
    customer gets one message with the link (a second run finds both and sends nothing)."""
    negotiation = negotiation_offer_after_failure(job_id=job_id, attempt_number=attempt_number)
    if negotiation is None:
        return None
    negotiation_prompt(negotiation_id=negotiation.pk)
    return negotiation.pk


@shared_task(name="negotiation.expire_due", ignore_result=True)
def expire_due() -> int:
    """Apply the default of every negotiation past its deadline (schedule every minute with beat)."""
    now = timezone.now()
    due = Negotiation.objects.filter(state=NegotiationState.OFFERED, deadline__lte=now).values_list(
        "pk", flat=True
    )
    ids = list(due[:500])  # a backlog beyond that is taken by the next run, a minute later
    for pk in ids:
        negotiation_expire(negotiation_id=pk, now=now)
    return len(ids)


@shared_task(name="negotiation.morning_prompts", ignore_result=True)
def morning_prompts() -> int:
    """The morning prompt of each station past its prompt time (schedule every few minutes with beat)."""
    return negotiation_prompt_morning(now=timezone.now())
