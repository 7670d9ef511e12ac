"""A virtual-number provider behind an HTTPS webhook, with HMAC-signed requests.

    POST CALLS_WEBHOOK_URL
    Content-Type: application/json
    Idempotency-Key: <reference>
    X-Parcelrun-Timestamp / X-Parcelrun-Signature   (backend/notify/signing.py)

    {"reference", "caller", "callee", "expires_at"}

A 2xx answer lends the number: ``{"number", "extension"?, "id"?}``. Anything else (an error
status, a timeout, a refused connection, an answer without a number) is no number this time; the
courier may try again in a moment, nothing is queued (a call is made now or not at all).
"""

from __future__ import annotations

import json
import re
import time

import httpx
from django.conf import settings

from backend.calls.gateway import BindRequest, BoundNumber, GatewayError
from backend.notify.signing import sign_headers

NUMBER = re.compile(r"^[0-9]{5,15}$")
EXTENSION = re.compile(r"^[0-9]{0,8}$")


class WebhookGateway:
    name = "webhook"

    def __init__(self) -> None:
        self.url = settings.CALLS_WEBHOOK_URL
        self.secret = settings.CALLS_WEBHOOK_SECRET
        self.timeout_s = settings.CALLS_WEBHOOK_TIMEOUT_S
        if not self.url or not self.secret:
            raise GatewayError("CALLS_WEBHOOK_URL and CALLS_WEBHOOK_SECRET must be set")

    def bind(self, request: BindRequest) -> BoundNumber:
        body = json.dumps(
            {
                "reference": request.reference,
                "caller": request.caller,
                "callee": request.callee,
                "expires_at": request.expires_at.isoformat(),
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": request.reference,
            **sign_headers(self.secret, int(time.time()), body),
        }
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout_s)
        except httpx.HTTPError as exc:  # timeouts, refused or reset connections
            raise GatewayError(f"{type(exc).__name__}: {exc}"[:300]) from exc
        if not response.is_success:
            raise GatewayError(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            data = response.json()
        except ValueError:
            data = None
        number = data.get("number") if isinstance(data, dict) else None
        extension = data.get("extension", "") if isinstance(data, dict) else ""
        if not (isinstance(number, str) and NUMBER.match(number)):
            raise GatewayError("the provider answered without a number")
        if not (isinstance(extension, str) and EXTENSION.match(extension)):
            raise GatewayError("the provider answered a malformed extension")
        provider_id = data.get("id") if isinstance(data, dict) else None
        return BoundNumber(
            number=number,
            extension=extension,
            provider_id=str(provider_id)[:128] if isinstance(provider_id, str | int) else request.reference,
        )
