"""Shared steps of the negotiation services: lock in the fixed order, record the event, feed it.

Lock order, everywhere: the job, then its shipment (``shipments.services.recording.lock_job``),
then the job's negotiation rows. Publishing rides on the change feed (``feed.append`` publishes
after commit), as for every shipments service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from backend.common.errors import DomainError
from backend.negotiation.models import Negotiation, NegotiationEvent
from backend.negotiation.snapshots import negotiation_snapshot
from backend.shipments import feed
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services.recording import lock_job

FEED_KIND = "negotiation.updated"


def lock_negotiation(negotiation_id: int) -> tuple[Negotiation, Job]:
    """Lock the negotiation's job (and shipment), then the negotiation itself."""
    assert transaction.get_connection().in_atomic_block, "lock_negotiation needs a transaction"
    job_id = Negotiation.objects.filter(pk=negotiation_id).values_list("job_id", flat=True).first()
    if job_id is None:
        raise DomainError("not_found", f"negotiation {negotiation_id} does not exist")
    job = lock_job(job_id)
    negotiation = Negotiation.objects.select_for_update().get(pk=negotiation_id)
    return negotiation, job


def record(
    negotiation: Negotiation, kind: str, ctx: Ctx, at: datetime, details: dict[str, Any] | None = None
) -> None:
    NegotiationEvent.objects.create(
        negotiation=negotiation, kind=kind, actor_id=ctx.actor.user_id, at=at, details=details or {}
    )


def feed_negotiation(negotiation: Negotiation, job: Job) -> None:
    feed.append(
        FEED_KIND,
        {"negotiation": negotiation_snapshot(negotiation)},
        station_id=negotiation.station_id,
        courier_id=job.courier_id,
        shipment_id=negotiation.shipment_id,
        job_id=job.pk,
    )
