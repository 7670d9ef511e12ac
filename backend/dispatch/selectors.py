"""Reads for the dispatch desk and the courier's plan. Fixed query counts whatever the row count."""

from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, QuerySet

from backend.accounts.roles import Principal, Role
from backend.common.errors import DomainError
from backend.couriers.models import Courier
from backend.dispatch.models import AlertKind, AssignmentDecision, DispatchAlert, PlanRun
from backend.shipments.models import Job
from backend.shipments.states import JobStatus

MAX_ID = 2**63 - 1
OPEN_STATUSES = (JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.STARTED, JobStatus.ARRIVED)


def courier_get_for(principal: Principal, courier_id: int) -> Courier:
    """A courier the caller may look at: themselves, their station's (supervisor), any (admin)."""
    qs = Courier.objects.select_related("station")
    if principal.role is Role.COURIER:
        qs = qs.filter(pk=principal.require_courier_id())
    elif principal.role is Role.SUPERVISOR:
        qs = qs.filter(station_id__in=principal.station_ids)
    elif principal.role is not Role.ADMIN:
        qs = qs.none()
    courier = qs.filter(pk=courier_id).first() if 1 <= courier_id <= MAX_ID else None
    if courier is None:
        raise DomainError("not_found", f"courier {courier_id} not found")
    return courier


def courier_plan_jobs(*, courier_id: int, day: date) -> list[Job]:
    """The courier's open jobs of the day in route order (unplanned last), each with ``at_risk``."""
    jobs = list(
        Job.objects.filter(courier_id=courier_id, service_date=day, status__in=OPEN_STATUSES).order_by(
            "planned_seq", "pk"
        )
    )
    risky = set(
        DispatchAlert.objects.filter(
            job_id__in=[j.pk for j in jobs], kind=AlertKind.AT_RISK, resolved_at__isnull=True
        ).values_list("job_id", flat=True)
    )
    for job in jobs:
        # Display-only attribute for the desk serializer; it is not a model field, so the stubs lack it.
        job.at_risk = job.pk in risky  # type: ignore[attr-defined]
    return jobs


def last_plan_run(*, courier_id: int, day: date) -> PlanRun | None:
    return (
        PlanRun.objects.filter(courier_id=courier_id, service_date=day).order_by("-started_at", "-pk").first()
    )


def decisions_for_station(*, station_id: int, job_id: int | None = None) -> QuerySet[AssignmentDecision]:
    qs = AssignmentDecision.objects.filter(station_id=station_id)
    if job_id is not None:
        qs = qs.filter(job_id=job_id)
    return qs.select_related("courier", "prev_courier", "actor", "job").order_by("-created_at", "-pk")


def unassigned_for_station(*, station_id: int, day: date | None = None) -> list[Job]:
    """The queue: pending jobs, each with ``last_reason`` (latest decision) and ``alert`` (open alert)."""
    qs = Job.objects.filter(station_id=station_id, status=JobStatus.PENDING)
    if day is not None:
        qs = qs.filter(service_date=day)
    jobs = list(
        qs.select_related("shipment")
        .prefetch_related(
            Prefetch(
                "assignment_decisions",
                queryset=AssignmentDecision.objects.order_by("-created_at", "-pk"),
                to_attr="decisions",
            ),
            Prefetch(
                "dispatch_alerts",
                queryset=DispatchAlert.objects.filter(resolved_at__isnull=True).order_by("pk"),
                to_attr="open_alerts",
            ),
        )
        .order_by("window_end", "pk")
    )
    for job in jobs:
        decisions, alerts = job.decisions, job.open_alerts
        # Display-only attributes for UnassignedOutput; they are not model fields, so the stubs lack them.
        job.last_reason = decisions[0].reason if decisions else None  # type: ignore[attr-defined]
        job.alert = alerts[0].message if alerts else None  # type: ignore[attr-defined]
    return list[Job](jobs)
