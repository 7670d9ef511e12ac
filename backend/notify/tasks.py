"""Celery tasks of the notify app: take ids, call one service, safe to run twice."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone

from backend.notify.selectors import messages_due
from backend.notify.services import message_send

SWEEP_LIMIT = 20  # each try may wait for the webhook's timeout; the next run takes the rest


@shared_task(name="notify.send_message", bind=True, acks_late=True, max_retries=None, ignore_result=True)
def send_message(self: Any, message_id: int) -> str:
    """Queued after the message commits; retries itself with the service's back-off.

    ``acks_late``: a worker that dies mid-send leaves the task to another one, which finds the
    message claimed (then the sweep takes it after the claim) or already sent. Without a broker
    (eager: a laptop) a retry would run at once, inside the request that queued the message; the
    message stays queued with its ``next_attempt_at`` for the sweep instead.
    """
    outcome = message_send(message_id=message_id)
    if outcome.retry_in is not None and not self.request.is_eager:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="notify.send_due", ignore_result=True)
def send_due() -> int:
    """Every minute with beat: send what a lost task or an exhausted broker left queued."""
    now = timezone.now()
    ids = messages_due(now, SWEEP_LIMIT)
    for pk in ids:
        message_send(message_id=pk, now=now)
    return len(ids)
