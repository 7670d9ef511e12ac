"""Building ops and calling the sync endpoints the way a handheld does."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from parcelkit.uuid7 import uuid7
from tests.fixtures.people import Person

_seq = itertools.count(1)


def device_of(person: Person) -> str:
    return f"device-{person.user.pk}"  # what tests.fixtures.people issues the token for


def op(
    person: Person,
    kind: str,
    payload: dict[str, Any],
    *,
    seq: int | None = None,
    event_at: datetime | None = None,
    op_id: str | None = None,
    device: str | None = None,
) -> dict[str, Any]:
    return {
        "op_id": op_id or str(uuid7()),
        "device_id": device or device_of(person),
        "seq": seq if seq is not None else next(_seq),
        "event_at": (event_at or timezone.now()).isoformat(),
        "kind": kind,
        "payload": payload,
    }


def proof(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "method": "signature",
        "recipient_relation": "self",
        "recipient_name": "李四",
        "media_sha256": ["a" * 64],
    }
    data.update(overrides)
    return data


def push(person: Person, ops: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    response = APIClient().post("/api/v1/sync/push", {"ops": ops, **extra}, format="json", **person.auth)
    assert response.status_code == 200, response.content
    return response.json()


def pull(person: Person, cursor: int | None = None, **params: Any) -> dict[str, Any]:
    query = params if cursor is None else {"cursor": cursor, **params}
    response = APIClient().get("/api/v1/sync/pull", query, **person.auth)
    assert response.status_code == 200, response.content
    return response.json()


def outcomes(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["outcome"], r.get("code", "")) for r in body["results"]]


def minutes_ago(n: float) -> datetime:
    return timezone.now() - timedelta(minutes=n)


def ready_job(station: Any, staff: Person, courier: Any, kind: str = "delivery") -> Any:
    """A job assigned to ``courier``; a delivery's parcel is already at the station (so it can start)."""
    from backend.shipments.services import job_assign, scan
    from tests.fixtures.jobs import make_job

    job = make_job(station, staff.ctx, kind)
    if kind == "delivery":
        scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=staff.ctx)
    return job_assign(job_id=job.pk, courier_id=courier.pk, ctx=staff.ctx)
