"""The vocabularies of a message (no models here, so pure code can import them)."""

from __future__ import annotations

from django.db import models


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"  # written, not yet accepted by the provider (or being retried)
    SENT = "sent", "Sent"  # the provider accepted it and gave its id
    DELIVERED = "delivered", "Delivered"  # the provider's callback: it reached the phone
    FAILED = "failed", "Failed"  # refused, undeliverable, or out of attempts


class MessageChannel(models.TextChoices):
    SMS = "sms", "SMS"
    WECHAT = "wechat", "WeChat"


FINAL = frozenset({MessageStatus.DELIVERED, MessageStatus.FAILED})

# Where each status may go next. The provider's callback can overtake our own record of the send
# (it answers before we wrote "sent"), so a queued message may be reported delivered or failed.
NEXT: dict[str, frozenset[str]] = {
    MessageStatus.QUEUED: frozenset({MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED}),
    MessageStatus.SENT: frozenset({MessageStatus.DELIVERED, MessageStatus.FAILED}),
    MessageStatus.DELIVERED: frozenset(),
    MessageStatus.FAILED: frozenset(),
}
