"""Celery tasks of the negotiation app: take ids, call one service, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from backend.negotiation.models import Negotiation
from backend.negotiation.services import negotiation_expire
from backend.negotiation.services.triggers import negotiation_offer_after_failure
from backend.negotiation.states import NegotiationState


@shared_task(name="negotiation.offer_after_failed_attempt", ignore_result=True)
def offer_after_failed_attempt(job_id: int, attempt_number: int) -> int | None:
    """Sent by ``shipments.services.followups`` after a failed delivery attempt commits."""
    negotiation = negotiation_offer_after_failure(job_id=job_id, attempt_number=attempt_number)
    return negotiation.pk if negotiation is not None else None


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
