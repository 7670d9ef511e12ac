"""Disruptions: a supervisor declares one for an area (address prefixes, or a zone's prefixes and
postcodes) at one of the four levels; its jobs are held, their couriers re-planned and the
customers told; lifting it releases the jobs, assigns them again and tells the customers.

Holding a job goes through ``shipments.services.job_hold``, which takes it back from its courier
(a revocation on the handheld and a re-plan of the route it leaves); auto-assignment and the
station plan skip held jobs. A job the courier has already started is left to them (not held).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from backend.common.errors import DomainError
from backend.couriers.models import Station, Zone
from backend.dispatch.services import auto_assign
from backend.incidents.models import Disruption, DisruptionHold
from backend.incidents.services.common import notify_customer
from backend.incidents.states import HOLDS_PICKUPS, DisruptionKind, DisruptionLevel
from backend.shipments import feed
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services.jobs import job_hold
from backend.shipments.services.recording import require_station_staff
from backend.shipments.states import JobKind, JobStatus

HOLDABLE = (JobStatus.PENDING, JobStatus.ASSIGNED, JobStatus.ACCEPTED)
MAX_PREFIXES = 50


@dataclass(frozen=True)
class DisruptionInput:
    kind: str
    level: int
    reason: str
    address_prefixes: Sequence[str] = ()
    zone_code: str = ""


def _clean(station: Station, data: DisruptionInput) -> tuple[Zone | None, list[str]]:
    if data.kind not in DisruptionKind.values:
        raise DomainError("invalid", f"unknown disruption kind {data.kind!r}", field="kind")
    if data.level not in DisruptionLevel.values:
        raise DomainError("invalid", "level is 1 (I, gravest) to 4 (IV)", field="level")
    if not data.reason.strip() or len(data.reason) > 500:
        raise DomainError("invalid", "a reason of 1 to 500 characters is required", field="reason")
    zone = None
    if data.zone_code:
        zone = Zone.objects.filter(station=station, code=data.zone_code).first()
        if zone is None:
            raise DomainError("not_found", f"zone {data.zone_code!r} not found", field="zone_code")
    prefixes = [p.strip() for p in data.address_prefixes if p.strip()]
    if len(prefixes) > MAX_PREFIXES or any(len(p) < 2 or len(p) > 100 for p in prefixes):
        raise DomainError(
            "invalid", f"up to {MAX_PREFIXES} prefixes of 2 to 100 characters", field="address_prefixes"
        )
    if not prefixes and zone is None:
        raise DomainError(
            "area_required", "name the area: address prefixes or a zone", field="address_prefixes"
        )
    return zone, prefixes


def _area(zone: Zone | None, prefixes: list[str]) -> Q:
    area = Q(pk__in=[])
    for prefix in [*prefixes, *(zone.address_prefixes if zone else [])]:
        area |= Q(address__startswith=prefix)
    postcodes = list(zone.postcodes) if zone else []
    if postcodes:
        area |= Q(shipment__recipient_postcode__in=postcodes, kind=JobKind.DELIVERY)
    return area


def disruption_jobs(station_id: int, level: int, area: Q) -> list[int]:
    kinds = [JobKind.DELIVERY, JobKind.PICKUP] if level in HOLDS_PICKUPS else [JobKind.DELIVERY]
    return list(
        Job.objects.filter(area, station_id=station_id, status__in=HOLDABLE, kind__in=kinds, on_hold=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def disruption_declare(
    *, station_id: int, data: DisruptionInput, ctx: Ctx, now: datetime | None = None
) -> Disruption:
    """Declare a disruption and hold the open jobs of its area (see the module doc)."""
    now = now or timezone.now()
    require_station_staff(ctx, station_id)
    station = Station.objects.filter(pk=station_id).first()
    if station is None:
        raise DomainError("not_found", f"station {station_id} does not exist")
    zone, prefixes = _clean(station, data)
    tz = ZoneInfo(station.time_zone)
    with transaction.atomic(), feed.batch_joined():
        disruption = Disruption.objects.create(
            station=station,
            kind=data.kind,
            level=data.level,
            zone=zone,
            address_prefixes=prefixes,
            reason=data.reason.strip(),
            declared_at=now,
            declared_by_id=ctx.actor.require_user_id(),
        )
        reason = f"disruption {disruption.pk}: {disruption.reason}"[:200]
        for job_id in disruption_jobs(station.pk, data.level, _area(zone, prefixes)):
            prev = Job.objects.values_list("courier_id", flat=True).get(pk=job_id)
            job = job_hold(job_id=job_id, ctx=ctx, held=True, reason=reason)
            DisruptionHold.objects.create(disruption=disruption, job=job, prev_courier_id=prev, held_at=now)
            if job.kind == JobKind.DELIVERY:
                notify_customer(
                    job,
                    trigger="disruption",
                    occasion=f"d{disruption.pk}",
                    template="disruption",
                    tz=tz,
                    deadline=None,
                    now=now,
                )
        feed.append("disruption.changed", {"disruption": _snapshot(disruption)}, station_id=station.pk)
    return disruption


@dataclass(frozen=True)
class Lifted:
    disruption: Disruption
    released: list[int]
    reassigned: list[int]  # released jobs auto-assignment placed on a route again


def disruption_lift(*, disruption_id: int, ctx: Ctx, now: datetime | None = None) -> Lifted:
    """Lift a disruption: release its jobs, tell their customers, then assign each one again
    (auto-assignment places it on a route and re-plans; one it cannot place stays in the queue)."""
    now = now or timezone.now()
    with transaction.atomic(), feed.batch_joined():
        disruption = Disruption.objects.select_for_update().filter(pk=disruption_id).first()
        if disruption is None:
            raise DomainError("not_found", f"disruption {disruption_id} not found")
        require_station_staff(ctx, disruption.station_id)
        if disruption.lifted_at is not None:
            raise DomainError("disruption_lifted", f"disruption {disruption_id} was already lifted")
        tz = ZoneInfo(disruption.station.time_zone)
        holds = list(disruption.holds.filter(released_at=None).order_by("job_id"))
        released = []
        for hold in holds:
            job = job_hold(job_id=hold.job_id, ctx=ctx, held=False, reason="disruption lifted")
            hold.released_at = now
            hold.save(update_fields=["released_at"])
            released.append(job.pk)
            if job.kind == JobKind.DELIVERY and job.status == JobStatus.PENDING:
                notify_customer(
                    job,
                    trigger="disruption_end",
                    occasion=f"d{disruption.pk}",
                    template="disruption_end",
                    tz=tz,
                    deadline=None,
                    now=now,
                )
        disruption.lifted_at, disruption.lifted_by_id = now, ctx.actor.require_user_id()
        disruption.save(update_fields=["lifted_at", "lifted_by"])
        feed.append(
            "disruption.changed", {"disruption": _snapshot(disruption)}, station_id=disruption.station_id
        )
    reassigned = []
    for job_id in released:
        try:
            if auto_assign(job_id=job_id, ctx=ctx, now=now).courier_id is not None:
                reassigned.append(job_id)
        except DomainError:
            continue  # taken meanwhile, or changed under the decision: it stays where it is
    return Lifted(disruption, released, reassigned)


def _snapshot(d: Disruption) -> dict[str, object]:
    return {
        "id": d.pk,
        "kind": d.kind,
        "level": d.level,
        "address_prefixes": list(d.address_prefixes),
        "zone_id": d.zone_id,
        "declared_at": d.declared_at.isoformat(),
        "lifted_at": d.lifted_at.isoformat() if d.lifted_at else None,
    }
