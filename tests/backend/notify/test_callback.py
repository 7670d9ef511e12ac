"""The provider's callback: signed reports move a message to delivered or failed; a bad or stale
signature, an unknown message or a contradicting report is a 4xx with a code, never a 500."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from rest_framework.test import APIClient

from backend.notify.services import message_send
from backend.notify.signing import sign_headers
from tests.backend.notify.conftest import NOW, SECRET, Provider, queue

pytestmark = pytest.mark.django_db
URL = "/api/v1/notify/callback"


def report(body: Any, *, secret: str = SECRET, at: int | None = None, raw: bytes | None = None) -> Any:
    data = raw if raw is not None else json.dumps(body).encode()
    headers = sign_headers(secret, int(time.time()) if at is None else at, data)
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return APIClient().post(URL, data=data, content_type="application/json", **meta)


@pytest.fixture
def sent(job, provider: Provider):  # type: ignore[no-untyped-def]
    message = queue(job)
    assert message_send(message_id=message.pk, now=NOW).status == "sent"
    message.refresh_from_db()
    return message


def test_a_delivery_report_marks_the_message_delivered(sent) -> None:  # type: ignore[no-untyped-def]
    r = report({"reference": sent.reference, "status": "delivered", "provider_id": "prov-1"})
    assert r.status_code == 200, r.content
    assert r.json() == {"reference": sent.reference, "status": "delivered"}
    sent.refresh_from_db()
    assert (sent.status, sent.sent_at, sent.delivered_at) == ("delivered", NOW, NOW)
    # The provider repeats itself: nothing changes, same answer.
    assert report({"reference": sent.reference, "status": "delivered"}).status_code == 200
    # A contradicting report after the final one is refused.
    late = report({"reference": sent.reference, "status": "failed"})
    assert (late.status_code, late.json()["code"]) == (409, "invalid_transition")


def test_a_failure_report_records_the_providers_error(sent) -> None:  # type: ignore[no-untyped-def]
    r = report({"reference": sent.reference, "status": "failed", "error": "handset unreachable"})
    assert r.status_code == 200
    sent.refresh_from_db()
    assert (sent.status, sent.failed_at, sent.last_error) == ("failed", NOW, "handset unreachable")


def test_a_report_that_overtakes_our_record_of_the_send_is_kept(job, provider: Provider) -> None:  # type: ignore[no-untyped-def]
    message = queue(job)
    assert report({"reference": message.reference, "status": "delivered"}).status_code == 200
    assert message_send(message_id=message.pk, now=NOW).status == "delivered"  # not sent again
    assert provider.received == []


@pytest.mark.parametrize(
    ("how", "status", "code"),
    [
        ("wrong secret", 401, "signature_invalid"),
        ("stale", 401, "signature_invalid"),
        ("unsigned", 401, "signature_invalid"),
        ("unknown", 404, "unknown_message"),
        ("bad status", 400, "invalid"),
        ("not json", 400, "parse_error"),
    ],
)
def test_bad_reports_are_refused_with_a_code(sent, how: str, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    body = {"reference": sent.reference, "status": "delivered"}
    if how == "wrong secret":
        r = report(body, secret="guess")
    elif how == "stale":
        r = report(body, at=int(time.time()) - 3600)
    elif how == "unsigned":
        r = APIClient().post(URL, body, format="json")
    elif how == "unknown":
        r = report({**body, "reference": "0" * 32})
    elif how == "bad status":
        r = report({**body, "status": "read"})
    else:
        r = report(None, raw=b"{not json")
    assert (r.status_code, r.json()["code"]) == (status, code), r.content
    sent.refresh_from_db()
    assert sent.status == "sent"


def test_without_a_callback_secret_every_report_is_refused(sent, settings) -> None:  # type: ignore[no-untyped-def]
    settings.NOTIFY_CALLBACK_SECRET = ""
    r = report({"reference": sent.reference, "status": "delivered"}, secret="")
    assert (r.status_code, r.json()["code"]) == (401, "signature_invalid")
