"""Commands a client sends over its socket, handed to the same services as REST.

The consumer parses nothing and decides nothing here: it passes the audience (who is asking,
from which device) and the payload, and sends back ``command.ok`` or ``error`` with the service's
code. Authorisation is the services' (a courier's ``job.reassign`` fails with ``wrong_role``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from backend.common.errors import DomainError
from backend.dispatch.services import DEFAULT_REASON
from backend.dispatch.services import job_reassign as job_reassign_service
from backend.locations.api.views import parse_location
from backend.locations.services import location_record
from backend.realtime.audience import Audience
from backend.shipments.context import Ctx

MAX_ID = 2**63 - 1


def _int(payload: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    value = payload.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise DomainError("invalid", f"{name} must be a positive integer", field=name)
    return value


def _ctx(audience: Audience) -> Ctx:
    if audience.principal is None:
        raise DomainError("permission_denied", "this feed is read-only")
    return Ctx(actor=audience.principal, device_id=audience.device_id)


def location_ping(audience: Audience, payload: dict[str, Any]) -> dict[str, Any]:
    """``location.ping``: the courier's position, as ``POST /locations``."""
    ctx = _ctx(audience)
    location = location_record(ctx=ctx, **parse_location(payload))
    return {"location_id": location.pk}


def job_reassign(audience: Audience, payload: dict[str, Any]) -> dict[str, Any]:
    """``job.reassign``: the supervisor's single-job reassignment, as ``POST /jobs/{id}/assign``."""
    ctx = _ctx(audience)
    reason = payload.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 200:
        raise DomainError("invalid", "reason must be text of at most 200 characters", field="reason")
    moved = job_reassign_service(
        job_id=_int(payload, "job_id") or 0,
        to_courier_id=_int(payload, "courier_id") or 0,
        reason=reason.strip() or DEFAULT_REASON,
        ctx=ctx,
        expected_version=_int(payload, "expected_version", required=False),
    )
    job = moved.job
    return {"job_id": job.pk, "version": job.version, "courier_id": job.courier_id}


COMMANDS: dict[str, Callable[[Audience, dict[str, Any]], dict[str, Any]]] = {
    "location.ping": location_ping,
    "job.reassign": job_reassign,
}


def execute(audience: Audience, type_: str, payload: Any) -> dict[str, Any]:
    """Run one command; ``DomainError`` for anything refused (unknown command included)."""
    handler = COMMANDS.get(type_)
    if handler is None:
        raise DomainError("invalid", f"unknown message type {type_!r}", known=sorted(COMMANDS))
    if not isinstance(payload, dict):
        raise DomainError("invalid", "payload must be an object")
    return handler(audience, payload)
