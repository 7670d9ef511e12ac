"""The courier's call log: one row per call the handheld made to a recipient or sender."""

from __future__ import annotations

from datetime import datetime

from backend.common.errors import DomainError
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.sync.models import CallLog
from parcelkit.ops import CALL_OUTCOMES


def call_log_record(
    *, op_id: str, job_id: int, called_at: datetime, duration_s: int, outcome: str, ctx: Ctx
) -> CallLog:
    """Record a call the courier made about their own job (``not_assigned_to_you`` otherwise).

    ``outcome`` is one of :data:`CALL_OUTCOMES` (``invalid`` otherwise). A call is a fact of the
    courier's day, not a change of the job: no tracking event, no change-feed row. The op id is
    unique, so a replayed op cannot log the call twice (the push's idempotency answers first).
    """
    if outcome not in CALL_OUTCOMES:
        raise DomainError("invalid", f"outcome must be one of {sorted(CALL_OUTCOMES)}", field="outcome")
    courier_id = Job.objects.filter(pk=job_id).values_list("courier_id", flat=True).first()
    if courier_id is None or courier_id != ctx.actor.courier_id:
        raise DomainError("not_assigned_to_you", f"job {job_id} is not assigned to you", job_id=job_id)
    return CallLog.objects.create(
        op_id=op_id,
        job_id=job_id,
        courier_id=courier_id,
        called_at=called_at,
        duration_s=duration_s,
        outcome=outcome,
    )
