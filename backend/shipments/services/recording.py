"""Shared steps of every lifecycle service: lock, authorise, record the event, append the feed.

Locks and writes go through a unit of work when one is open (see ``unit``).
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from backend.accounts.roles import Role
from backend.common import pgbulk
from backend.common.errors import DomainError
from backend.shipments import feed
from backend.shipments.context import CLOCK_SKEW_FLAG_S, Ctx
from backend.shipments.models import Job, Shipment, TrackingEvent
from backend.shipments.selectors import operation_recorded
from backend.shipments.services.unit import current, lock_one_job
from backend.shipments.snapshots import job_snapshot, shipment_snapshot
from backend.shipments.transitions import JOB_OPEN


def lock_job(job_id: int) -> Job:
    """Lock the job, then its shipment (always in that order, so two services cannot deadlock)."""
    assert transaction.get_connection().in_atomic_block, "lock_job needs a transaction"
    unit = current()
    if unit is not None and (held := unit.job(job_id)) is not None:
        return held
    job = lock_one_job(job_id)
    if job is None:
        raise DomainError("not_found", f"job {job_id} does not exist")
    return job if unit is None else unit.adopt(job)


def lock_shipment(*, shipment_id: int | None = None, tracking_no: str | None = None) -> Shipment:
    """``SELECT … FOR NO KEY UPDATE`` one shipment by id or tracking number, or ``not_found``."""
    qs = Shipment.objects.select_for_update(no_key=True)
    try:
        return qs.get(pk=shipment_id) if shipment_id is not None else qs.get(tracking_no=tracking_no)
    except Shipment.DoesNotExist:
        raise DomainError("not_found", f"shipment {tracking_no or shipment_id} does not exist") from None


def check_version(job: Job, expected_version: int | None) -> None:
    """``version_conflict`` (with the current version and status) when the caller saw another version."""
    if expected_version is not None and expected_version != job.version:
        raise DomainError(
            "version_conflict",
            f"job {job.pk} changed since you loaded it (version {expected_version}, now {job.version})",
            current_version=job.version,
            current_status=job.status,
        )


def require_own_job(ctx: Ctx, job: Job) -> None:
    """Couriers act on their own jobs only; supervisors on their station's; admins on all."""
    actor = ctx.actor
    if actor.role is Role.COURIER:
        if job.courier_id != actor.courier_id:
            raise DomainError(
                "not_assigned_to_you",
                f"job {job.pk} is not assigned to you any more",
                job_id=job.pk,
            )
    elif actor.role is Role.SUPERVISOR:
        if not actor.can_see_station(job.station_id):  # a station manager's stations are several
            raise DomainError("permission_denied", "this job belongs to another station")
    elif actor.role is not Role.ADMIN:
        raise DomainError("permission_denied", "not allowed")


def require_station_staff(ctx: Ctx, station_id: int) -> None:
    """Only a supervisor of the station (or an admin): ``wrong_role`` for a courier, ``permission_denied`` otherwise."""
    actor = ctx.actor
    if actor.role is Role.COURIER:
        raise DomainError("wrong_role", "only a supervisor can do this")
    if not actor.can_see_station(station_id):
        raise DomainError("permission_denied", "this belongs to another station")


def _check_idempotency(ctx: Ctx) -> None:
    key = ctx.idempotency_key
    # A sync push has already claimed its op id in the op log; the event's unique key still guards.
    if key and not ctx.key_claimed and operation_recorded(key):
        raise DomainError("duplicate_operation", f"operation {key} was already recorded")


def record_event(
    ctx: Ctx,
    *,
    shipment: Shipment,
    kind: str,
    job: Job | None = None,
    details: dict[str, Any] | None = None,
    station_id: int | None = None,
) -> TrackingEvent:
    """Write the shipment's TrackingEvent for this change (device and server time, actor, device, GPS, key).

    Refuses an idempotency key already recorded; a device clock far from the server's is kept and flagged.
    ``station_id``: where it happened when that is not the job's or parcel's station (a scan at
    the wrong station, ``scan_rules.scan_station``)."""
    _check_idempotency(ctx)
    now = timezone.now()
    event_at = ctx.event_at or now
    info = dict(details or {})
    skew = abs((now - event_at).total_seconds())
    if skew > CLOCK_SKEW_FLAG_S:
        # Kept as the device said (it is a fact about when it happened), but flagged for review.
        info["clock_skew_s"] = round((now - event_at).total_seconds())
    event = TrackingEvent(
        shipment=shipment,
        job=job,
        kind=kind,
        status_after=shipment.status,
        station_id=station_id or (job.station_id if job else shipment.station_id),
        actor_id=ctx.actor.user_id,
        device_id=ctx.device_id,
        event_at=event_at,
        received_at=now,
        lat=ctx.lat,
        lng=ctx.lng,
        accuracy_m=ctx.accuracy_m,
        idempotency_key=ctx.idempotency_key,
        details=info,
    )
    insert(event)
    return event


def insert(instance: Model) -> None:
    """Insert a new row now, or with the rest of the unit of work when one is open."""
    unit = current()
    if unit is not None:
        unit.insert(instance)
    elif connection.vendor == "postgresql":
        pgbulk.insert_row(instance)
    else:
        instance.save(force_insert=True)


def save_job(job: Job, fields: list[str]) -> None:
    """Save these fields of a locked job and bump its version (noted instead inside a unit of work)."""
    job.version += 1
    _save(job, [*fields, "version", "updated_at"])


def save_job_plan(job: Job, fields: list[str]) -> None:
    """Save a locked job's plan fields and bump its ``plan_revision``, not its version: a plan is
    the planner's, and a person who read the job's version may still act on it."""
    job.plan_revision += 1
    _save(job, [*fields, "plan_revision", "updated_at"])


def save_shipment(shipment: Shipment, fields: list[str]) -> None:
    """Save these fields of a locked shipment (noted instead inside a unit of work)."""
    _save(shipment, [*fields, "updated_at"])


def _save(instance: Model, fields: list[str]) -> None:
    unit = current()
    if unit is None:
        instance.save(update_fields=fields)
    else:
        unit.save(instance, fields)


def feed_job(kind: str, job: Job, *, prev_courier_id: int | None = None) -> None:
    """Append the job's change-feed row (its snapshot; ``prev_courier_id`` makes it a revocation for them)."""
    feed.append(
        kind,
        {"job": job_snapshot(job)},
        station_id=job.station_id,
        courier_id=job.courier_id,
        prev_courier_id=prev_courier_id,
        shipment_id=job.shipment_id,
        job_id=job.pk,
    )


def feed_shipment(kind: str, shipment: Shipment, payload: dict[str, Any] | None = None) -> None:
    """A shipment-level change, addressed also to the courier holding its open job (they carry it).

    ``payload`` defaults to the shipment's whole snapshot, then with ``carrier_job`` (the holder's
    job id and kind): the courier's feed shows them the side of the shipment that kind of job needs
    (courier_view.py) without a query per message."""
    holder = (
        Job.objects.filter(shipment_id=shipment.pk, status__in=JOB_OPEN, courier__isnull=False)
        .order_by("-pk")
        .values_list("courier_id", "pk", "kind")
        .first()
    )
    if payload is None:
        payload = {"shipment": shipment_snapshot(shipment)}
        if holder is not None:
            payload["carrier_job"] = {"id": holder[1], "kind": holder[2]}
    courier_id = holder[0] if holder is not None else None
    feed.append(kind, payload, station_id=shipment.station_id, shipment_id=shipment.pk, courier_id=courier_id)
