"""Automatic assignment of a new job (a delivery arriving at the station, a pickup booked today).

Rules, in order (every outcome is an :class:`~backend.dispatch.models.AssignmentDecision`):

1. **Territory owner**: the courier owning the zone whose address prefix matches the job's
   address (normalised and compared by administrative division; longest prefix wins), else whose postcodes hold a delivery's postcode — if they are
   on duty and the job fits their route (window, capacity, shift end) by feasible insertion.
2. **Cheapest feasible insertion** over every on-duty courier of the station.
3. **Queue**: nobody can take it; the job stays pending, a decision "no feasible courier: queued
   for a supervisor" is recorded and an ``unassignable`` alert is raised.

The job is written through ``job_assign`` (and its place and ETA through ``job_set_plan``), then a
debounced re-plan of the receiving courier is asked for (the fresh solve may find a better order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backend.common.addresses import matched_length
from backend.common.errors import DomainError
from backend.common.transient import retry_transient
from backend.couriers.models import Courier, DutyStatus, Zone
from backend.dispatch.models import AlertKind, AssignmentDecision, DecisionKind, DecisionRule
from backend.dispatch.planning.insertion import Insertion, RouteState, cheapest_insertion
from backend.dispatch.planning.model import Stop
from backend.dispatch.services.audit import alert_raise, alerts_resolve, decision_record, km_min
from backend.dispatch.services.debounce import replan_soon
from backend.dispatch.services.planning import write_route
from backend.dispatch.services.routes import MATRIX, CourierDay, DayClock, job_stop
from backend.dispatch.services.warm_days import keep_written, route_state_of, warm_days
from backend.shipments import feed
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services import job_assign
from backend.shipments.services.recording import require_station_staff
from backend.shipments.states import JobKind, JobStatus

QUEUED = "no feasible courier: queued for a supervisor"


@dataclass(frozen=True)
class Choice:
    courier: Courier | None
    rule: DecisionRule
    reason: str
    insertion: Insertion | None = None


def territory_of(job: Job) -> Zone | None:
    """The zone (with an owner) that claims the job's address: longest prefix, then postcode.

    Prefixes are matched on the normalised address, division by division, in the station's own
    divisions (``backend.common.addresses``): ``杭州市西湖区文二路120号`` is claimed by ``西湖区文二路``.
    """
    zones = list(
        Zone.objects.filter(station_id=job.station_id, courier__isnull=False).select_related("courier")
    )
    here = job.station.address  # the job's station row (auto_assign reads it with the job)
    by_prefix = [
        (n, z.pk, z)
        for z in zones
        for p in z.address_prefixes
        if (n := matched_length(job.address, p, context=here))
    ]
    if by_prefix:
        return max(by_prefix, key=lambda t: (t[0], -t[1]))[2]
    postcode = job.shipment.recipient_postcode if job.kind == JobKind.DELIVERY else ""
    return next((z for z in sorted(zones, key=lambda z: z.pk) if postcode and postcode in z.postcodes), None)


def on_duty_couriers(station_id: int, exclude: int | None = None) -> list[Courier]:
    """The station's on-duty couriers in pk order (the order routes are built and compared in), minus ``exclude``."""
    qs = Courier.objects.filter(station_id=station_id, duty_status=DutyStatus.ON_DUTY).select_related(
        "station"
    )
    return list(qs.exclude(pk=exclude).order_by("pk") if exclude else qs.order_by("pk"))


def state_of(day: CourierDay) -> RouteState:
    """The insertion state of a courier's remaining route (stops, load on board), for ``cheapest_insertion``."""
    return route_state_of(day)


def choose(stop: Stop | None, zone: Zone | None, days: dict[int, CourierDay]) -> Choice:
    """Pure decision over prepared routes (no writes): see the module docstring for the rules."""
    note = ""
    owner = zone.courier if zone is not None else None
    if zone is not None and owner is not None:
        day = days.get(owner.pk)
        if day is None:
            note = f"territory owner {owner.employee_no} is not on duty"
        elif stop is None:
            return Choice(
                owner, DecisionRule.TERRITORY, f"territory owner ({zone.code}); no coordinates, not routed"
            )
        else:
            ins = cheapest_insertion(stop, [state_of(day)], MATRIX)
            if ins is not None:
                reason = f"territory owner ({zone.code}), {km_min(ins.added_distance, ins.added_duration)}"
                return Choice(owner, DecisionRule.TERRITORY, reason, ins)
            note = f"territory owner {owner.employee_no} cannot fit it (window, capacity or shift end)"
    if stop is None:
        return Choice(
            None, DecisionRule.QUEUED, f"{QUEUED} (no coordinates to route it{'; ' + note if note else ''})"
        )
    ins = cheapest_insertion(stop, [state_of(d) for d in days.values()], MATRIX) if days else None
    if ins is None:
        why = note or (
            "no courier on duty" if not days else "no route can meet its window, capacity or shift end"
        )
        return Choice(None, DecisionRule.QUEUED, f"{QUEUED} ({why})")
    reason = f"cheapest feasible insertion, {km_min(ins.added_distance, ins.added_duration)}"
    return Choice(
        days[int(ins.vehicle_id)].courier,
        DecisionRule.INSERTION,
        reason + (f" ({note})" if note else ""),
        ins,
    )


@retry_transient
def auto_assign(*, job_id: int, ctx: Ctx | None = None, now: datetime | None = None) -> AssignmentDecision:
    """Assign a pending job by the rules above; returns the decision (``courier`` null: queued).

    Raises ``not_found``, ``invalid_transition`` (the job is not pending), or ``version_conflict``
    when the job or a job of the receiving route changed while the decision was computed.
    """
    ctx = ctx or Ctx.system()
    now = now or timezone.now()
    job = Job.objects.select_related("shipment", "station").filter(pk=job_id).first()
    if job is None:
        raise DomainError("not_found", f"job {job_id} not found")
    require_station_staff(ctx, job.station_id)
    if job.status != JobStatus.PENDING:
        raise DomainError(
            "invalid_transition",
            f"job {job.pk} is {job.status}; only an unassigned job is assigned automatically",
            entity="job",
            current=job.status,
            requested="assigned",
        )
    if job.on_hold:
        raise DomainError("job_on_hold", f"job {job.pk} is held by a disruption until it is lifted")
    days = {
        d.courier.pk: d
        for d in warm_days(on_duty_couriers(job.station_id), job.station, job.service_date, now)
    }
    stop = job_stop(job, DayClock.of(job.station, job.service_date))
    choice = choose(stop, territory_of(job), days)
    ins = choice.insertion
    added = (ins.added_distance, ins.added_duration) if ins else (None, None)
    with transaction.atomic(), feed.batch_joined():
        if choice.courier is None:
            decision = decision_record(
                job=job,
                courier_id=None,
                prev_courier_id=None,
                kind=DecisionKind.AUTO,
                rule=choice.rule,
                reason=choice.reason,
                ctx=ctx,
            )
            alert_raise(job=job, kind=AlertKind.UNASSIGNABLE, message=choice.reason)
            return decision
        assigned = job_assign(
            job_id=job.pk,
            courier_id=choice.courier.pk,
            ctx=ctx,
            reason=choice.reason,
            expected_version=job.version,
            replan=False,  # asked below, once, through the debounce (not a second Celery send)
        )
        place(days[choice.courier.pk], assigned, stop, ins.position if ins else None, ctx)
        decision = decision_record(
            job=assigned,
            courier_id=choice.courier.pk,
            prev_courier_id=None,
            kind=DecisionKind.AUTO,
            rule=choice.rule,
            reason=choice.reason,
            ctx=ctx,
            added_m=added[0],
            added_s=added[1],
        )
        alerts_resolve([job.pk], AlertKind.UNASSIGNABLE)
        replan_soon(courier_id=choice.courier.pk, trigger=f"job {job.pk} assigned")
    return decision


def place(day: CourierDay, job: Job, stop: Stop | None, position: int | None, ctx: Ctx) -> list[str]:
    """Put a just-assigned job into the courier's route at ``position`` (at the end when None) and
    write the route's places and ETAs. ``day`` was read before the assignment. Returns the order.

    The route as written is kept as the courier's warm day (``warm_days.keep_written``): the next
    call does not read again the ~150 rows this one just wrote."""
    order = list(day.remaining)
    if stop is None:
        day.unlocated.append(job)
    else:
        day.stops[stop.id], day.jobs[stop.id] = stop, job
        order.insert(len(order) if position is None else position, stop.id)
    keep_written(day, write_route(day, order, ctx))
    return order
