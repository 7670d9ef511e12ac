"""The notification gateway's port: what the app asks of any SMS or WeChat provider.

A backend is a class with a ``name`` and ``send(message) -> provider_id``, built with no
arguments (it reads its settings). ``NOTIFY_BACKEND`` chooses it: ``console`` (a file under var/,
for development and ``make run``), ``webhook`` (an HTTP provider, HMAC-signed), or the dotted path
of your own class. ``send`` raises ``GatewayError`` — ``retryable`` when trying again later may
work (a timeout, a 5xx), not when the provider refused the message for good (a 4xx).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

BACKENDS = {
    "console": "backend.notify.backends.console.FileGateway",
    "webhook": "backend.notify.backends.webhook.WebhookGateway",
}


@dataclass(frozen=True)
class OutboundMessage:
    """What a provider needs to deliver one message.

    ``reference`` is ours, unique per message and the same on every attempt: a provider that
    deduplicates on it never delivers a message twice, even when we retry after a timeout.
    ``to`` is the recipient's number (E.164): the provider needs it; it is not in ``text``.
    """

    reference: str
    channel: str
    to: str
    language: str
    text: str


class GatewayError(Exception):
    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class Gateway(Protocol):
    name: str

    def send(self, message: OutboundMessage) -> str:
        """Hand the message over; return the provider's id for it. Raises ``GatewayError``."""
        ...


def get_gateway() -> Gateway:
    """The gateway ``settings.NOTIFY_BACKEND`` names (a short name or a dotted class path)."""
    path = BACKENDS.get(settings.NOTIFY_BACKEND, settings.NOTIFY_BACKEND)
    gateway: Gateway = import_string(path)()
    return gateway
