"""The gateway's backends: the development file, and a real HTTP provider on loopback (signed
requests, retries with back-off through the Celery task, refusals, an unreachable provider)."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from celery.exceptions import Retry

from backend.notify import tasks
from backend.notify.backends.webhook import WebhookGateway
from backend.notify.gateway import GatewayError, OutboundMessage, get_gateway
from backend.notify.models import Message
from backend.notify.services import MAX_ATTEMPTS, backoff_s, message_send
from tests.backend.notify.conftest import NOW, Provider, queue

pytestmark = pytest.mark.django_db


def test_the_console_backend_writes_one_line_per_message_with_the_number_masked(
    job, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_BACKEND = "console"
    settings.NOTIFY_FILE = str(tmp_path / "var" / "messages.jsonl")
    message = queue(job)
    assert message_send(message_id=message.pk, now=NOW).status == "sent"
    lines = (tmp_path / "var" / "messages.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["reference"] == message.reference and line["text"] == message.text
    assert line["to"] == "139****5678"  # the fixture's 13912345678, masked
    message.refresh_from_db()
    assert (message.status, message.backend, message.provider_id, message.attempts, message.sent_at) == (
        "sent",
        "console",
        f"file-{message.reference}",
        1,
        NOW,
    )
    # Sending again (a twin task, a late retry) hands nothing over twice.
    assert message_send(message_id=message.pk, now=NOW).status == "sent"
    assert len((tmp_path / "var" / "messages.jsonl").read_text(encoding="utf-8").splitlines()) == 1


def test_the_backend_is_chosen_by_settings_also_by_dotted_path(settings) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_BACKEND = "console"
    assert get_gateway().name == "console"
    settings.NOTIFY_BACKEND = "tests.backend.notify.test_gateway_backends.Recording"
    assert get_gateway().name == "recording"


class Recording:
    """A provider plugged in by dotted path (docs/negotiation.md: how to plug in a provider)."""

    name = "recording"

    def send(self, message: OutboundMessage) -> str:
        return f"rec-{message.reference}"


def test_the_webhook_signs_every_request_and_retries_with_back_off_until_the_provider_takes_it(
    job, provider: Provider
) -> None:  # type: ignore[no-untyped-def]
    provider.answers = [500, 500]  # then 200
    message = queue(job)
    tasks.send_message.apply(args=[message.pk])  # what runs after commit; eager: no retry inline
    message.refresh_from_db()
    assert (message.status, message.attempts, message.next_attempt_at) == (
        "queued",
        1,
        NOW + timedelta(seconds=30),
    )
    with time_machine.travel(NOW + timedelta(seconds=29), tick=False):
        assert tasks.send_due.apply().get() == 0  # the back-off is not over
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        assert tasks.send_due.apply().get() == 1  # 500 again: twice as long now
    message.refresh_from_db()
    assert message.next_attempt_at == NOW + timedelta(seconds=90)
    with time_machine.travel(NOW + timedelta(seconds=90), tick=False):
        assert tasks.send_due.apply().get() == 1
        assert tasks.send_due.apply().get() == 0
    assert len(provider.received) == 3
    assert all(r["signed"] for r in provider.received)
    # The same message each time, under the same key: a provider that deduplicates sends it once.
    assert {r["idempotency_key"] for r in provider.received} == {message.reference}
    body = provider.received[-1]["body"]
    assert body["reference"] == message.reference and body["text"] == message.text
    assert body["to"] == "+8613912345678"  # the provider needs the number (E.164); the text never has it
    assert body["callback_url"].endswith("/api/v1/notify/callback")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_id, message.backend) == (
        "sent",
        3,
        "prov-3",
        "webhook",
    )
    assert message.sent_at == NOW + timedelta(seconds=90)
    assert message.next_attempt_at is None and message.claimed_until is None and message.last_error == ""


def test_on_a_worker_the_task_asks_celery_to_retry_after_the_back_off(
    job, provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    provider.answers = [502]
    message = queue(job)
    asked: list[int] = []

    def retry(countdown: int) -> Retry:
        asked.append(countdown)
        return Retry(when=countdown)

    monkeypatch.setattr(tasks.send_message, "retry", retry)
    with pytest.raises(Retry):
        tasks.send_message(message.pk)  # run as a worker runs it: not eager
    assert asked == [30]
    assert tasks.send_message(message.pk) == "sent"  # the retry itself
    assert len(provider.received) == 2


def test_a_retryable_failure_keeps_the_message_queued_with_an_exponential_back_off(
    job, provider: Provider
) -> None:  # type: ignore[no-untyped-def]
    provider.answers = [503, 503]
    message = queue(job)
    first = message_send(message_id=message.pk, now=NOW)
    second = message_send(message_id=message.pk, now=NOW + timedelta(seconds=30))
    assert (first.status, first.retry_in, second.status, second.retry_in) == ("queued", 30, "queued", 60)
    message.refresh_from_db()
    assert message.next_attempt_at == NOW + timedelta(seconds=90)
    assert message.last_error.startswith("HTTP 503")
    assert [backoff_s(n) for n in range(1, 7)] == [30, 60, 120, 240, 480, 960]


def test_after_the_last_attempt_the_message_fails(job, provider: Provider) -> None:  # type: ignore[no-untyped-def]
    provider.answers = [500] * MAX_ATTEMPTS
    message = queue(job)
    outcomes = [
        message_send(message_id=message.pk, now=NOW + timedelta(hours=i)) for i in range(MAX_ATTEMPTS)
    ]
    assert [o.retry_in for o in outcomes] == [30, 60, 120, 240, 480, None]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.failed_at) == (
        "failed",
        MAX_ATTEMPTS,
        NOW + timedelta(hours=MAX_ATTEMPTS - 1),
    )
    assert len(provider.received) == MAX_ATTEMPTS
    assert message_send(message_id=message.pk, now=NOW + timedelta(days=1)).status == "failed"
    assert len(provider.received) == MAX_ATTEMPTS


def test_a_refusal_for_good_fails_at_once(job, provider: Provider) -> None:  # type: ignore[no-untyped-def]
    provider.answers = [422]
    message = queue(job)
    outcome = message_send(message_id=message.pk, now=NOW)
    assert (outcome.status, outcome.retry_in) == ("failed", None)
    assert len(provider.received) == 1


def test_an_unreachable_provider_is_worth_another_try(job, settings) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.NOTIFY_BACKEND = "webhook"
    settings.NOTIFY_WEBHOOK_URL = f"http://127.0.0.1:{port}/send"
    settings.NOTIFY_WEBHOOK_SECRET = "s"
    message = queue(job)
    outcome = message_send(message_id=message.pk, now=NOW)
    assert (outcome.status, outcome.retry_in) == ("queued", 30)


def test_a_message_claimed_by_another_worker_is_left_to_it(job, provider: Provider) -> None:  # type: ignore[no-untyped-def]
    message = queue(job)
    Message.objects.filter(pk=message.pk).update(claimed_until=NOW + timedelta(seconds=60))
    assert message_send(message_id=message.pk, now=NOW).status == "queued"
    assert provider.received == []
    # Once the claim is over (that worker died), the message goes out.
    assert message_send(message_id=message.pk, now=NOW + timedelta(seconds=61)).status == "sent"


def test_the_sweep_sends_what_a_lost_task_left_queued(job, provider: Provider) -> None:  # type: ignore[no-untyped-def]
    message = queue(job)
    # Just queued: its own task will send it.
    assert tasks.send_due.apply().get() == 0
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert tasks.send_due.apply().get() == 1
        assert tasks.send_due.apply().get() == 0
    message.refresh_from_db()
    assert message.status == "sent" and len(provider.received) == 1


def test_an_unconfigured_webhook_is_a_retryable_error(settings) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_WEBHOOK_URL = ""
    with pytest.raises(GatewayError) as caught:
        WebhookGateway()
    assert caught.value.retryable
