"""Reads of the notify app."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q

from backend.notify.models import Message
from backend.notify.states import MessageStatus

# A message just queued is its own task's: the sweep takes it only if that task never ran.
GRACE = timedelta(minutes=2)


def messages_due(now: datetime, limit: int) -> list[int]:
    """Queued messages whose retry is due and that no worker holds: the sweep's work."""
    return list(
        Message.objects.filter(status=MessageStatus.QUEUED)
        .filter(Q(next_attempt_at__isnull=True, queued_at__lte=now - GRACE) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .order_by("queued_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
