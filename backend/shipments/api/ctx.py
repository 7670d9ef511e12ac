"""From an HTTP request to the service's ``Ctx``: who, which device, when and where the device says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError
from rest_framework import serializers
from rest_framework.request import Request

from backend.accounts.permissions import principal
from backend.common.errors import DomainError
from backend.shipments import selectors
from backend.shipments.api.serializers import MAX_INT, DateTimeField
from backend.shipments.context import Ctx

_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class ActionInput(serializers.Serializer[None]):
    """What every lifecycle action may carry besides its own fields."""

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_INT,
        help_text="the job version you acted on; a mismatch is refused with version_conflict",
    )
    event_at = DateTimeField(required=False, help_text="the device's clock when it happened")
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lng = serializers.FloatField(required=False, min_value=-180, max_value=180)
    accuracy_m = serializers.FloatField(required=False, min_value=0, max_value=100_000)


def idempotency_key(request: Request) -> str | None:
    """The client's Idempotency-Key as it sent it (``None`` when absent or empty)."""
    raw = request.headers.get("Idempotency-Key")
    if raw is None or raw == "":
        return None
    if not _KEY.fullmatch(raw):
        raise DomainError("invalid", "Idempotency-Key must be 1–64 characters of A–Z, a–z, 0–9, _ . : -")
    return raw


def scoped_key(request: Request, raw: str) -> str:
    """The key as stored: the client's name for its action, scoped by user (``"<user id>:<key>"``).

    Keys are chosen by clients, so a global key let one user's "order-1" block another's action
    (issue 16). The colon keeps these apart from sync op ids (UUIDs), stored in the same column.
    """
    return f"{request.user.pk}:{raw}"


def ctx_from(request: Request, data: dict[str, Any], *, keyed: bool = True) -> Ctx:
    """Build the context; a repeated Idempotency-Key is refused before anything is attempted.

    ``keyed=False`` for operations that record several events (a manifest): one key cannot name them all.

    The services also refuse a recorded key, but only after their transition check, which a
    replay of an applied action fails first (accepted → accepted); checking here gives the
    client the answer it can act on: "already done".
    """
    raw = idempotency_key(request) if keyed else None
    key = scoped_key(request, raw) if raw is not None else None
    if key is not None and selectors.operation_recorded(key):
        raise DomainError("duplicate_operation", f"operation {raw} was already recorded", idempotency_key=raw)
    token = request.auth
    return Ctx(
        actor=principal(request),
        device_id=getattr(token, "device_id", "") or "",
        event_at=data.get("event_at"),
        lat=data.get("lat"),
        lng=data.get("lng"),
        accuracy_m=data.get("accuracy_m"),
        idempotency_key=key,
    )


@contextmanager
def applying(ctx: Ctx) -> Iterator[None]:
    """Two requests racing with one Idempotency-Key: the loser hits the unique index, not a 500."""
    try:
        yield
    except IntegrityError as exc:
        if ctx.idempotency_key is None or not selectors.operation_recorded(ctx.idempotency_key):
            raise
        raise DomainError("duplicate_operation", "this operation was already recorded") from exc
