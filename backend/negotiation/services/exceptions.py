"""What a customer's answer leaves for a supervisor to decide, and the supervisor's decision.

Kinds (``states.ExceptionKind``): a return to sender to confirm, a redirect outside the station's
area (a transfer), a pickup code locked after wrong attempts. The console's exceptions queue lists
the open ones (``selectors.supervisor_exceptions_open``) and resolves them here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.negotiation.models import Negotiation, PickupHold, SupervisorException
from backend.negotiation.services.recording import record
from backend.negotiation.states import Decision, ExceptionKind
from backend.shipments import feed, transitions
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services import job_cancel, shipment_transition
from backend.shipments.services.arrangement import job_set_arrangement
from backend.shipments.services.recording import lock_job, require_station_staff
from backend.shipments.states import JobStatus, NextStep, ShipmentStatus


def exception_open(
    job: Job, negotiation: Negotiation | None, kind: str, details: dict[str, Any], now: datetime
) -> SupervisorException:
    """Open an exception of ``kind`` for the job, or return the open one. Caller holds the job lock."""
    existing = SupervisorException.objects.filter(job_id=job.pk, kind=kind, resolved_at__isnull=True).first()
    if existing is not None:
        return existing
    return SupervisorException.objects.create(
        kind=kind,
        job_id=job.pk,
        shipment_id=job.shipment_id,
        station_id=job.station_id,
        negotiation=negotiation,
        details=details,
        created_at=now,
    )


@transaction.atomic
def supervisor_exception_resolve(
    *, exception_id: int, ctx: Ctx, decision: str, reason: str, now: datetime | None = None
) -> SupervisorException:
    """A supervisor of the job's station accepts or declines what an exception asks.

    - ``return_pending``: accept → the return is confirmed (``next_step.confirmed``), the shipment
      goes ``returning`` and the delivery job is cancelled; decline → the courier tries again.
    - ``redirect_outside_area``: accept → the transfer is agreed: the job takes the new address and
      stays off the routes (``next_step.transfer = "accepted"``) for the supervisor to hand over;
      decline → the courier tries again at the old address.
    - ``pickup_code_locked``: accept → the hold is unlocked (attempts start again); decline → it
      stays locked.

    Locks the job (and shipment), then the exception. ``invalid_transition`` when it is already
    resolved; ``wrong_role``/``permission_denied`` for anyone but the station's staff; ``invalid``
    for an unknown decision or no reason.
    """
    now = now or timezone.now()
    if decision not in Decision.values:
        raise DomainError("invalid", f"decision must be one of {Decision.values}", field="decision")
    if not reason.strip():
        raise DomainError("invalid", "a reason is required", field="reason")
    job_id = SupervisorException.objects.filter(pk=exception_id).values_list("job_id", flat=True).first()
    if job_id is None:
        raise DomainError("not_found", f"exception {exception_id} does not exist")
    job = lock_job(job_id)
    exc = SupervisorException.objects.select_for_update().get(pk=exception_id)
    require_station_staff(ctx, exc.station_id)
    if exc.resolved_at is not None:
        raise DomainError(
            "invalid_transition",
            f"exception {exc.pk} was already resolved ({exc.decision})",
            entity="exception",
            current=exc.decision,
            requested=decision,
        )
    accept = decision == Decision.ACCEPT
    with feed.batch_joined():  # several services' feed rows: the counter lock last, once
        _resolve(job, exc, ctx, accept, decision, reason, now)
    return exc


def _resolve(
    job: Job, exc: SupervisorException, ctx: Ctx, accept: bool, decision: str, reason: str, now: datetime
) -> None:
    if exc.kind == ExceptionKind.RETURN_PENDING:
        _return(job, ctx, accept, reason)
    elif exc.kind == ExceptionKind.REDIRECT_OUTSIDE_AREA:
        _transfer(job, exc, ctx, accept, reason)
    elif exc.kind == ExceptionKind.PICKUP_CODE_LOCKED and accept:
        PickupHold.objects.filter(job_id=job.pk, handed_over_at__isnull=True).update(
            failed_attempts=0, locked_at=None
        )
    exc.resolved_at = now
    exc.resolved_by_id = ctx.actor.user_id
    exc.decision = decision
    exc.resolution_reason = reason.strip()[:200]
    exc.save(update_fields=["resolved_at", "resolved_by", "decision", "resolution_reason"])
    if exc.negotiation is not None:
        record(
            exc.negotiation,
            "resolved",
            ctx,
            now,
            {"exception": exc.pk, "kind": exc.kind, "decision": decision, "reason": exc.resolution_reason},
        )


def _retry(job: Job, ctx: Ctx, why: str, reason: str) -> None:
    step: dict[str, Any] = {"kind": NextStep.RETRY, why: reason.strip()[:200]}
    if "negotiation_id" in job.next_step:
        step["negotiation_id"] = job.next_step["negotiation_id"]
    job_set_arrangement(job_id=job.pk, ctx=ctx, next_step=step)


def _return(job: Job, ctx: Ctx, accept: bool, reason: str) -> None:
    if not accept:
        _retry(job, ctx, "return_declined", reason)
        return
    if job.status in (JobStatus.COMPLETED, JobStatus.CANCELLED) or not transitions.shipment_can(
        job.shipment.status, ShipmentStatus.RETURNING
    ):
        raise DomainError(
            "invalid_transition",
            f"the parcel is {job.shipment.status}: it cannot be sent back now",
            entity="shipment",
            current=job.shipment.status,
            requested=ShipmentStatus.RETURNING,
        )
    job_set_arrangement(
        job_id=job.pk,
        ctx=ctx,
        next_step={
            **job.next_step,
            "kind": NextStep.RETURN,
            "confirmed": True,
            "confirmed_by": ctx.actor.user_id,
        },
    )
    shipment_transition(shipment_id=job.shipment_id, to=ShipmentStatus.RETURNING, ctx=ctx, reason=reason)
    job_cancel(job_id=job.pk, ctx=ctx, reason=f"returned to sender: {reason}"[:200])


def _transfer(job: Job, exc: SupervisorException, ctx: Ctx, accept: bool, reason: str) -> None:
    if not accept:
        _retry(job, ctx, "redirect_declined", reason)
        return
    d = exc.details
    job_set_arrangement(
        job_id=job.pk,
        ctx=ctx,
        next_step={**job.next_step, "kind": NextStep.REDIRECT, "transfer": "accepted"},
        address=str(d["address"]),
        lat=d.get("lat"),
        lng=d.get("lng"),
        reopen=False,
    )
