"""Reads shaped for their callers. Each runs a fixed number of queries whatever the row count."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from types import SimpleNamespace
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from backend.accounts.roles import Principal, Role
from backend.common.errors import DomainError
from backend.common.validators import clean_tracking_no
from backend.couriers.models import Courier
from backend.shipments.models import Job, OfflineConflict, Shipment, TrackingEvent
from backend.shipments.snapshots import JOB_COLUMNS, SNAPSHOT_COLUMNS, job_snapshot
from backend.shipments.states import JobStatus

# On a courier's plate right now: not waiting for dispatch, not finished, not failed-awaiting-decision.
ON_HAND = (JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.STARTED, JobStatus.ARRIVED)


def jobs_for_courier_day(*, courier_id: int, day: date) -> QuerySet[Job]:
    return (
        Job.objects.filter(courier_id=courier_id, service_date=day)
        .select_related("shipment")
        .order_by("planned_seq", "window_end", "pk")
    )


def courier_job_kinds(*, courier_id: int, shipment_ids: Iterable[int]) -> dict[int, set[str]]:
    """Per shipment, the kinds of job this courier has on it: what side of it they may see."""
    kinds: dict[int, set[str]] = {}
    rows = Job.objects.filter(courier_id=courier_id, shipment_id__in=list(shipment_ids))
    for shipment_id, kind in rows.values_list("shipment_id", "kind"):
        kinds.setdefault(shipment_id, set()).add(kind)
    return kinds


def job_snapshots(job_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """``job_snapshot`` of each of these jobs, by id, from plain rows: one statement (a join), no
    model instances (a route writer tells ~50 customers at once that their ETA moved)."""
    if not job_ids:
        return {}
    fields = (*JOB_COLUMNS, "shipment_id")
    rows = Job.objects.filter(pk__in=list(job_ids)).values_list(
        *fields, *(f"shipment__{c}" for c in SNAPSHOT_COLUMNS)
    )
    n = len(fields)
    out: dict[int, dict[str, Any]] = {}
    for row in rows:
        # job_snapshot reads attributes: a namespace stands in for the model (as sync/selectors.py)
        job = SimpleNamespace(**dict(zip(fields, row[:n], strict=True)))
        job.pk = job.id
        job.shipment = SimpleNamespace(**dict(zip(SNAPSHOT_COLUMNS, row[n:], strict=True)))
        job.shipment.pk = job.shipment.id
        out[job.pk] = job_snapshot(job)  # type: ignore[arg-type]
    return out


def jobs_for_station(*, station_id: int) -> QuerySet[Job]:
    return Job.objects.filter(station_id=station_id).select_related("shipment", "courier").order_by("-pk")


def jobs_visible_to(principal: Principal) -> QuerySet[Job]:
    qs = Job.objects.select_related("shipment", "courier")
    if principal.role is Role.ADMIN:
        return qs
    if principal.role is Role.COURIER:
        return qs.filter(courier_id=principal.require_courier_id())
    if principal.role is Role.SUPERVISOR:
        return qs.filter(station_id__in=principal.station_ids)
    return qs.none()


def job_get_for(principal: Principal, job_id: int) -> Job:
    """A job the principal may see; 404 (not 403) otherwise, so ids of others' jobs leak nothing."""
    job = jobs_visible_to(principal).filter(pk=job_id).first()
    if job is None:
        raise DomainError("not_found", f"job {job_id} not found")
    return job


def shipment_get_for(principal: Principal, tracking_no: str) -> Shipment:
    number = clean_tracking_no(tracking_no)
    qs = Shipment.objects.select_related("station").prefetch_related(
        Prefetch("events", queryset=TrackingEvent.objects.order_by("event_at", "pk"))
    )
    if principal.role is Role.SUPERVISOR:
        qs = qs.filter(station_id__in=principal.station_ids)
    elif principal.role is Role.COURIER:
        qs = qs.filter(jobs__courier_id=principal.require_courier_id()).distinct()
    elif principal.role is not Role.ADMIN:
        qs = qs.none()
    shipment = qs.filter(tracking_no=number).first()
    if shipment is None:
        raise DomainError("not_found", f"shipment {number} not found")
    return shipment


def shipment_public(tracking_no: str) -> Shipment:
    number = clean_tracking_no(tracking_no)
    shipment = (
        Shipment.objects.filter(tracking_no=number)
        .prefetch_related(Prefetch("events", queryset=TrackingEvent.objects.order_by("event_at", "pk")))
        .first()
    )
    if shipment is None:
        raise DomainError("not_found", f"shipment {number} not found")
    return shipment


def operation_recorded(idempotency_key: str) -> bool:
    """Whether an operation with this Idempotency-Key was already applied (it left an event)."""
    return TrackingEvent.objects.filter(idempotency_key=idempotency_key).exists()


def couriers_for_station(*, station_id: int, day: date) -> QuerySet[Courier]:
    """Every courier of the station with their jobs of ``day`` counted, in one query."""
    on_day = Q(jobs__service_date=day)
    return (
        Courier.objects.filter(station_id=station_id)
        .annotate(
            open_jobs=Count("jobs", filter=on_day & Q(jobs__status__in=ON_HAND)),
            completed_jobs=Count("jobs", filter=on_day & Q(jobs__status=JobStatus.COMPLETED)),
            failed_jobs=Count("jobs", filter=on_day & Q(jobs__status=JobStatus.FAILED)),
        )
        .order_by("employee_no")
    )


def offline_conflicts_open(*, station_id: int) -> QuerySet[OfflineConflict]:
    """Offline facts waiting for a supervisor at the station, oldest first."""
    return (
        OfflineConflict.objects.filter(station_id=station_id, state=OfflineConflict.State.OPEN)
        .select_related("job__shipment")
        .order_by("received_at", "pk")
    )
