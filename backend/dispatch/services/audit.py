"""The audit trail of dispatch: assignment decisions with their reasons, and supervisor alerts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils import timezone

from backend.dispatch.models import AlertKind, AssignmentDecision, DecisionKind, DecisionRule, DispatchAlert
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services.recording import insert


def km_min(added_m: int, added_s: int) -> str:
    """ "+1.4 km, +6 min": how a detour reads to a supervisor."""
    return f"+{added_m / 1000:.1f} km, +{round(added_s / 60)} min"


def decision_record(
    *,
    job: Job,
    courier_id: int | None,
    prev_courier_id: int | None,
    kind: DecisionKind,
    rule: DecisionRule,
    reason: str,
    ctx: Ctx,
    added_m: int | None = None,
    added_s: int | None = None,
) -> AssignmentDecision:
    """Write one :class:`AssignmentDecision` (the audit row of an automatic or supervisor decision) in the caller's transaction
    (with the rest of the unit of work when one is open: a bulk reassignment inserts its rows in one statement)."""
    decision = AssignmentDecision(
        job=job,
        station_id=job.station_id,
        courier_id=courier_id,
        prev_courier_id=prev_courier_id,
        kind=kind,
        rule=rule,
        reason=reason[:500],
        added_m=added_m,
        added_s=added_s,
        actor_id=ctx.actor.user_id,
        created_at=timezone.now(),
    )
    insert(decision)
    return decision


def alert_raise(*, job: Job, kind: AlertKind, message: str, courier_id: int | None = None) -> DispatchAlert:
    """Open an alert, or refresh the message of the one already open for this job and kind."""
    alert = DispatchAlert.objects.filter(job=job, kind=kind, resolved_at__isnull=True).first()
    if alert is not None:
        alert.message, alert.courier_id = message[:500], courier_id
        alert.save(update_fields=["message", "courier"])
        return alert
    return DispatchAlert.objects.create(
        station_id=job.station_id,
        job=job,
        courier_id=courier_id,
        kind=kind,
        message=message[:500],
        created_at=timezone.now(),
    )


def alerts_raise(
    *, jobs: Sequence[Job], kind: AlertKind, message: str, courier_id: int | None = None
) -> None:
    """``alert_raise`` for many jobs with one message, in three statements whatever their number."""
    if not jobs:
        return
    message = message[:500]
    open_ = DispatchAlert.objects.filter(job_id__in=[j.pk for j in jobs], kind=kind, resolved_at__isnull=True)
    seen = set(open_.values_list("job_id", flat=True))
    if seen:
        open_.update(message=message, courier_id=courier_id)
    now = timezone.now()
    DispatchAlert.objects.bulk_create(
        DispatchAlert(
            station_id=j.station_id, job=j, courier_id=courier_id, kind=kind, message=message, created_at=now
        )
        for j in jobs
        if j.pk not in seen
    )


def alerts_resolve(job_ids: Iterable[int], kind: AlertKind | None = None) -> int:
    """Close the open alerts of these jobs (of ``kind`` only, when given); returns how many."""
    qs = DispatchAlert.objects.filter(job_id__in=list(job_ids), resolved_at__isnull=True)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return qs.update(resolved_at=timezone.now())
