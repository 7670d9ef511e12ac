"""The single write path for messages: queue one, hand it to the gateway, record the provider's report.

A message is written once per (job, trigger, occasion) and handed over after commit by the task
``notify.send_message``. Sending claims the row for ``LEASE`` (so two workers running the same
task never hand it over together), calls the gateway outside any transaction (a slow provider
holds no lock), then records the outcome: sent, another try after a back-off, or failed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery import signature
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.notify.gateway import Gateway, GatewayError, OutboundMessage, get_gateway
from backend.notify.models import Message
from backend.notify.privacy import check_text
from backend.notify.states import NEXT, MessageStatus
from backend.notify.texts import render, render_staff
from backend.shipments.models import Job
from backend.stations.selectors import station_manager_phone

MAX_ATTEMPTS = 6
BACKOFF_BASE_S = 30  # 30 s, 1, 2, 4, 8 min: the last try is about a quarter of an hour after the first
BACKOFF_MAX_S = 3600
# Longer than the webhook's timeout: a claim outlives the call it covers.
LEASE = timedelta(seconds=120)


def backoff_s(attempts: int) -> int:
    """Seconds to wait after the ``attempts``-th failed try."""
    return int(min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S))


def message_queue(
    *,
    job_id: int,
    trigger: str,
    occasion: str,
    template: str,
    language: str,
    params: dict[str, str],
    now: datetime | None = None,
) -> tuple[Message, bool]:
    """Write the message for (job, trigger, occasion) and send it after commit; ``(message, created)``.

    Once only: when that message exists (this task ran before, or runs right now elsewhere) it is
    returned as it is and nothing is sent again. Refuses a text carrying the recipient's phone
    number or address (``message_unsafe``); ``not_found`` for an unknown job.
    """
    now = now or timezone.now()
    key = {"job_id": job_id, "trigger": trigger, "occasion": occasion[:32]}
    existing = Message.objects.filter(**key).first()
    if existing is not None:
        return existing, False
    job = Job.objects.select_related("shipment").filter(pk=job_id).first()
    if job is None:
        raise DomainError("not_found", f"job {job_id} does not exist")
    text = render(template, language, params)
    check_text(text, phone=job.shipment.recipient_phone, address=job.address)
    check_text(text, phone=job.shipment.recipient_phone, address=job.shipment.recipient_address)
    return _insert_once(key, template, language, text, now, shipment_id=job.shipment_id)


def _insert_once(
    key: dict[str, object], template: str, language: str, text: str, now: datetime, **extra: object
) -> tuple[Message, bool]:
    """Insert the message once per ``key`` and send it after commit; a twin's row if it won."""
    try:
        with transaction.atomic():  # a savepoint: a twin that inserts first makes this one a no-op
            message = Message.objects.create(
                **key,
                **extra,
                reference=secrets.token_hex(16),
                channel=settings.NOTIFY_CHANNEL,
                template=template,
                language=language,
                text=text[:500],
                queued_at=now,
            )
    except IntegrityError:
        return Message.objects.get(**key), False
    pk = message.pk
    # By name, so this module never imports the tasks; eager set-ups (make run) send right away.
    transaction.on_commit(lambda: signature("notify.send_message", args=(pk,)).delay())
    return message, True


def staff_message_queue(
    *,
    user_id: int,
    trigger: str,
    occasion: str,
    template: str,
    language: str,
    params: dict[str, str],
    now: datetime | None = None,
) -> tuple[Message, bool]:
    """Write a text to a member of staff (a station manager) and send it after commit, like
    ``message_queue``: once per (user, trigger, occasion). ``not_found`` for a user who has no
    number to text (no station manager); the caller decides whether that matters."""
    now = now or timezone.now()
    key = {"user_id": user_id, "trigger": trigger, "occasion": occasion[:32]}
    existing = Message.objects.filter(**key).first()
    if existing is not None:
        return existing, False
    if station_manager_phone(user_id) is None:
        raise DomainError("not_found", f"user {user_id} has no phone to text")
    return _insert_once(key, template, language, render_staff(template, language, params), now)


@dataclass(frozen=True)
class SendOutcome:
    """``retry_in`` (seconds) when the task should try again; ``status`` is the message's now."""

    status: str
    retry_in: int | None = None


@transaction.atomic
def _claim(message_id: int, now: datetime) -> OutboundMessage | SendOutcome:
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("shipment")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        raise DomainError("not_found", f"message {message_id} does not exist")
    if message.status != MessageStatus.QUEUED:
        return SendOutcome(message.status)  # already handed over (a twin task, a late retry)
    if message.claimed_until is not None and message.claimed_until > now:
        return SendOutcome(message.status)  # another worker is handing it over right now
    # Read now, never stored with the message: the customer's from the shipment, staff's from their record.
    if message.user_id is not None:
        to = station_manager_phone(message.user_id)
        if not to:  # no longer a manager: nobody to text, and trying again will not find one
            message.status, message.failed_at = MessageStatus.FAILED, now
            message.last_error = "the staff member has no phone on record"
            message.save(update_fields=["status", "failed_at", "last_error"])
            return SendOutcome(message.status)
    else:
        assert message.shipment is not None  # the constraint: a customer's message has its shipment
        to = message.shipment.recipient_phone
    message.attempts += 1
    message.claimed_until = now + LEASE
    message.save(update_fields=["attempts", "claimed_until"])
    return OutboundMessage(
        reference=message.reference,
        channel=message.channel,
        to=to,
        language=message.language,
        text=message.text,
    )


def message_send(
    *, message_id: int, now: datetime | None = None, gateway: Gateway | None = None
) -> SendOutcome:
    """Hand one queued message to the gateway; safe to run twice, and concurrently.

    A message already sent (or being sent by another worker) is left alone. A retryable failure
    leaves it queued with ``next_attempt_at`` after an exponential back-off, until ``MAX_ATTEMPTS``;
    then, or after a refusal for good, it is failed.
    """
    now = now or timezone.now()
    outbound = _claim(message_id, now)
    if isinstance(outbound, SendOutcome):
        return outbound
    try:
        gw = gateway or get_gateway()
        provider_id = gw.send(outbound)
    except GatewayError as exc:
        return _record_failure(message_id, exc, now)
    return _record_sent(message_id, provider_id, gw.name, now)


@transaction.atomic
def _record_sent(message_id: int, provider_id: str, backend: str, now: datetime) -> SendOutcome:
    message = Message.objects.select_for_update().get(pk=message_id)
    message.provider_id, message.backend = provider_id[:128], backend[:64]
    message.claimed_until = message.next_attempt_at = None
    message.last_error = ""
    fields = ["provider_id", "backend", "claimed_until", "next_attempt_at", "last_error"]
    if message.sent_at is None:
        message.sent_at = now
        fields.append("sent_at")
    # The provider's callback may have overtaken us: delivered stays delivered.
    if message.status == MessageStatus.QUEUED:
        message.status = MessageStatus.SENT
        fields.append("status")
    message.save(update_fields=fields)
    return SendOutcome(message.status)


@transaction.atomic
def _record_failure(message_id: int, error: GatewayError, now: datetime) -> SendOutcome:
    message = Message.objects.select_for_update().get(pk=message_id)
    message.last_error = error.reason[:300]
    message.claimed_until = None
    fields = ["last_error", "claimed_until", "next_attempt_at"]
    if message.status != MessageStatus.QUEUED:
        message.save(update_fields=fields)
        return SendOutcome(message.status)
    if error.retryable and message.attempts < MAX_ATTEMPTS:
        wait = backoff_s(message.attempts)
        message.next_attempt_at = now + timedelta(seconds=wait)
        message.save(update_fields=fields)
        return SendOutcome(message.status, retry_in=wait)
    message.status, message.failed_at, message.next_attempt_at = MessageStatus.FAILED, now, None
    message.save(update_fields=[*fields, "status", "failed_at"])
    return SendOutcome(message.status)


@transaction.atomic
def message_status_report(
    *, reference: str, status: str, provider_id: str = "", error: str = "", now: datetime | None = None
) -> Message:
    """The provider reports what became of a message (its callback): delivered or failed.

    ``unknown_message`` for a reference we never sent; ``invalid`` for another status. A repeat of
    the report already recorded changes nothing; a different final report is ``invalid_transition``.
    """
    now = now or timezone.now()
    if status not in (MessageStatus.DELIVERED, MessageStatus.FAILED):
        raise DomainError("invalid", "status must be delivered or failed", field="status")
    message = Message.objects.select_for_update().filter(reference=reference).first()
    if message is None:
        raise DomainError("unknown_message", "no message has this reference")
    if message.status == status:
        return message
    if status not in NEXT[message.status]:
        raise DomainError(
            "invalid_transition",
            f"message {reference} is already {message.status}",
            entity="message",
            current=message.status,
            requested=status,
        )
    message.status = status
    fields = ["status"]
    if status == MessageStatus.DELIVERED:
        message.delivered_at = now
        fields.append("delivered_at")
    else:
        message.failed_at, message.last_error = now, error[:300]
        fields += ["failed_at", "last_error"]
    if provider_id and not message.provider_id:
        message.provider_id = provider_id[:128]
        fields.append("provider_id")
    message.save(update_fields=fields)
    return message
