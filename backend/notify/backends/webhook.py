"""An SMS or WeChat provider behind an HTTPS webhook, with HMAC-signed requests.

    POST NOTIFY_WEBHOOK_URL
    Content-Type: application/json
    Idempotency-Key: <reference>
    X-Parcelrun-Timestamp / X-Parcelrun-Signature   (backend/notify/signing.py)

    {"reference", "channel", "to", "language", "text", "callback_url"}

A 2xx answer accepts the message; its JSON ``id`` is the provider's id (the reference when it
gives none). A 5xx, 408, 429, a timeout or a refused connection is worth another try later; any
other answer is the provider refusing the message for good. The provider reports delivery to
``callback_url`` (``POST /api/v1/notify/callback``), signed the same way with the callback secret.
"""

from __future__ import annotations

import json
import time

import httpx
from django.conf import settings

from backend.notify.gateway import GatewayError, OutboundMessage
from backend.notify.signing import sign_headers

RETRYABLE_STATUS = frozenset({408, 425, 429})


class WebhookGateway:
    name = "webhook"

    def __init__(self) -> None:
        self.url = settings.NOTIFY_WEBHOOK_URL
        self.secret = settings.NOTIFY_WEBHOOK_SECRET
        self.timeout_s = settings.NOTIFY_WEBHOOK_TIMEOUT_S
        if not self.url or not self.secret:
            raise GatewayError("NOTIFY_WEBHOOK_URL and NOTIFY_WEBHOOK_SECRET must be set", retryable=True)

    def send(self, message: OutboundMessage) -> str:
        body = json.dumps(
            {
                "reference": message.reference,
                "channel": message.channel,
                "to": message.to,
                "language": message.language,
                "text": message.text,
                "callback_url": f"{settings.PUBLIC_BASE_URL}/api/v1/notify/callback",
            },
            ensure_ascii=False,
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": message.reference,
            **sign_headers(self.secret, int(time.time()), body),
        }
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:  # timeouts, refused or reset connections
            raise GatewayError(f"{type(exc).__name__}: {exc}"[:300], retryable=True) from exc
        if response.is_success:
            return _provider_id(response) or message.reference
        retryable = response.status_code >= 500 or response.status_code in RETRYABLE_STATUS
        raise GatewayError(f"HTTP {response.status_code}: {response.text[:200]}", retryable=retryable)


def _provider_id(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    value = data.get("id") if isinstance(data, dict) else None
    return str(value)[:128] if isinstance(value, str | int) and not isinstance(value, bool) else ""
