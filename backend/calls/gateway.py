"""The virtual-number (隐私号) provider's port: what the app asks of any number-masking service.

A courier calls the customer through a number the provider lends for a while: it rings the
customer's real phone, and the courier only ever sees (and dials) the virtual one. A backend is a
class with a ``name`` and ``bind(request) -> BoundNumber``, built with no arguments (it reads its
settings). ``CALLS_BACKEND`` chooses it, as ``NOTIFY_BACKEND`` does the SMS gateway
(backend/notify/gateway.py): ``console`` (numbers from ``CALLS_POOL``, a line in a file under
var/, for development and ``make run``), ``webhook`` (an HTTP provider, HMAC-signed), or the
dotted path of your own class. ``bind`` raises ``GatewayError`` when no number can be had.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

BACKENDS = {
    "console": "backend.calls.backends.console.PoolGateway",
    "webhook": "backend.calls.backends.webhook.WebhookGateway",
}


@dataclass(frozen=True)
class BindRequest:
    """One binding: while it lasts, a call from ``caller`` to the virtual number rings ``callee``.

    ``reference`` is ours and unique per binding: a provider that deduplicates on it lends one
    number even when we retry after a timeout. ``caller`` and ``callee`` are real numbers; they
    go to the provider and nowhere else (not in our database, not in any answer to the handheld).
    """

    reference: str
    caller: str
    callee: str
    expires_at: datetime


@dataclass(frozen=True)
class BoundNumber:
    number: str  # the virtual number the courier dials (11 digits)
    extension: str  # "" for a number bound to this pair alone (AXB); digits after a pause (AXN)
    provider_id: str


class GatewayError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NumberGateway(Protocol):
    name: str

    def bind(self, request: BindRequest) -> BoundNumber:
        """Lend a virtual number for ``request``; raises ``GatewayError``."""
        ...


def get_gateway() -> NumberGateway:
    """The gateway ``settings.CALLS_BACKEND`` names (a short name or a dotted class path)."""
    path = BACKENDS.get(settings.CALLS_BACKEND, settings.CALLS_BACKEND)
    gateway: NumberGateway = import_string(path)()
    return gateway
