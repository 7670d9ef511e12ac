"""Where exceptions come from: one function per source, each reading the facts of one station.

An exception is not a row: it is computed, now, from what happened (an attempt that failed, a
parcel nobody scanned, a courier nobody heard from). Each source returns ``ExceptionItem``s with
a stable ``subject`` key; ``ExceptionResolution`` rows close them by that key. To add a kind,
write a source here and list it in ``SOURCES`` with the kinds it yields.

Every source takes ``now`` (never reads the clock) and a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from backend.couriers.models import Courier, DutyStatus, Station
from backend.dispatch.models import AlertKind, DispatchAlert
from backend.exceptions.kinds import Action, ExceptionKind
from backend.incidents.selectors import incidents_for_station
from backend.incidents.states import Escalation, IncidentType
from backend.incidents.states import Source as IncidentSource
from backend.negotiation.models import Negotiation
from backend.negotiation.states import NegotiationState, Trigger
from backend.shipments.models import DeliveryAttempt, Job, Shipment, TrackingEvent
from backend.shipments.selectors import offline_conflicts_open
from backend.shipments.states import EventKind, JobStatus, ReasonCode, ShipmentStatus
from backend.sync.models import AppliedOp, DeviceState, Outcome
from backend.sync.selectors import proofs_awaiting_media

# Statuses in which a parcel is in our hands and should keep being scanned.
IN_HAND = (
    ShipmentStatus.PICKED_UP,
    ShipmentStatus.AT_STATION,
    ShipmentStatus.OUT_FOR_DELIVERY,
    ShipmentStatus.DELIVERY_FAILED,
    ShipmentStatus.RETURNING,
)
OPEN_JOB = (JobStatus.PENDING, JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.STARTED, JobStatus.ARRIVED)
# Rejected handheld ops that leave a fact on the street the server does not hold: a delivery
# recorded offline on a job cancelled or closed meanwhile, a delivery without its consent…
# (A delivery on a job cancelled while the courier still held it is ``invalid_transition``.)
SUPERVISOR_CODES = (
    "job_closed",
    "not_assigned_to_you",
    "invalid_transition",
    "consent_required",
    "proof_incomplete",
    # an ID-check / high-value parcel handed over without the check (parcelkit/rules/handling.py)
    "handover_in_person_required",
    "id_check_self_only",
    "id_check_required",
)
SUPERVISOR_OP_KINDS = ("deliver", "fail", "weigh")
SORT_SCANS = (EventKind.STATION_IN, EventKind.SORTED, EventKind.LOADED_OUT)  # as the mis_sort KPI


@dataclass(frozen=True)
class QueueSettings:
    stale_after: timedelta
    offline_after: timedelta
    lookback: timedelta  # how far back closed facts (expired negotiations, rejected ops) are shown

    @classmethod
    def from_settings(cls) -> QueueSettings:
        return cls(
            stale_after=timedelta(hours=settings.PARCELRUN_STALE_PARCEL_HOURS),
            offline_after=timedelta(minutes=settings.PARCELRUN_COURIER_OFFLINE_MINUTES),
            lookback=timedelta(hours=settings.PARCELRUN_EXCEPTION_LOOKBACK_HOURS),
        )


@dataclass(frozen=True)
class ExceptionItem:
    kind: str
    subject: str  # stable key of this occurrence, e.g. "attempt:12"
    since: datetime  # when it became (or will become) a problem
    detail: str  # one line for people, already in the reader's language, contacts masked
    shipment_id: int | None = None
    tracking_no: str = ""
    job_id: int | None = None
    courier_id: int | None = None
    courier_name: str = ""
    actions: tuple[str, ...] = ()

    @property
    def kind_label(self) -> str:
        return str(ExceptionKind(self.kind).label)


Source = Callable[[Station, datetime, QueueSettings], list[ExceptionItem]]


def _hm(station: Station, at: datetime) -> str:
    return at.astimezone(ZoneInfo(station.time_zone)).strftime("%m-%d %H:%M")


def failed_attempts(station: Station, now: datetime, cfg: QueueSettings) -> list[ExceptionItem]:
    """Jobs whose last attempt failed and that nobody has re-planned yet; a damaged parcel is its own kind."""
    attempts = DeliveryAttempt.objects.filter(
        job__station_id=station.pk,
        job__status=JobStatus.FAILED,
        succeeded=False,
        number=F("job__attempt_count"),
    ).select_related("job__shipment", "job__courier")
    items = []
    for a in attempts.order_by("attempted_at", "pk"):
        job = a.job
        reason = ReasonCode(a.reason_code).label if a.reason_code in ReasonCode.values else a.reason_code
        items.append(
            ExceptionItem(
                kind=ExceptionKind.DAMAGED_OR_LOST
                if a.reason_code == ReasonCode.DAMAGED
                else ExceptionKind.FAILED_ATTEMPT,
                subject=f"attempt:{a.pk}",
                since=a.attempted_at,
                detail=_("Attempt %(n)s failed: %(reason)s") % {"n": a.number, "reason": reason},
                shipment_id=job.shipment_id,
                tracking_no=job.shipment.tracking_no,
                job_id=job.pk,
                courier_id=job.courier_id,
                courier_name=job.courier.name if job.courier else "",
                actions=(Action.OPEN_SHIPMENT, Action.REASSIGN),
            )
        )
    return items


def shipments_in_exception(station: Station, now: datetime, cfg: QueueSettings) -> list[ExceptionItem]:
    """Parcels a person declared damaged, lost or otherwise an exception (status ``exception``)."""
    last = TrackingEvent.objects.filter(shipment_id=OuterRef("pk"), kind=EventKind.EXCEPTION).order_by(
        "-event_at", "-pk"
    )
    shipments = Shipment.objects.filter(station_id=station.pk, status=ShipmentStatus.EXCEPTION).annotate(
        event_id=Subquery(last.values("pk")[:1]),
        event_at=Subquery(last.values("event_at")[:1]),
        event_reason=Subquery(last.values("details__reason")[:1]),
    )
    return [
        ExceptionItem(
            kind=ExceptionKind.DAMAGED_OR_LOST,
            subject=f"shipment:{s.pk}:{s.event_id or 0}",
            since=s.event_at or s.updated_at,
            detail=_("Marked as an exception: %(reason)s") % {"reason": s.event_reason or "—"},
            shipment_id=s.pk,
            tracking_no=s.tracking_no,
            actions=(Action.OPEN_SHIPMENT,),
        )
        for s in shipments.order_by("pk")
    ]


def negotiations(station: Station, now: datetime, cfg: QueueSettings) -> list[ExceptionItem]:
    """Questions still waiting for the customer, and those that expired unanswered (the default applied)."""
    rows = (
        Negotiation.objects.filter(station_id=station.pk)
        .filter(
            Q(state=NegotiationState.OFFERED)
            | Q(state=NegotiationState.EXPIRED, closed_at__gte=now - cfg.lookback)
        )
        .select_related("shipment", "job__courier")
        .order_by("created_at", "pk")
    )
    items = []
    for n in rows:
        trigger = Trigger(n.trigger).label if n.trigger in Trigger.values else n.trigger
        if n.state == NegotiationState.OFFERED:
            kind, since = ExceptionKind.NEGOTIATION_OPEN, n.created_at
            detail = _("%(trigger)s; answer due %(deadline)s") % {
                "trigger": trigger,
                "deadline": _hm(station, n.deadline),
            }
        else:
            kind, since = ExceptionKind.NEGOTIATION_EXPIRED, n.closed_at or n.deadline
            detail = _("%(trigger)s; nobody answered by %(deadline)s, the default applied") % {
                "trigger": trigger,
                "deadline": _hm(station, n.deadline),
            }
        items.append(
            ExceptionItem(
                kind=kind,
                subject=f"negotiation:{n.pk}",
                since=since,
                detail=detail,
                shipment_id=n.shipment_id,
                tracking_no=n.shipment.tracking_no,
                job_id=n.job_id,
                courier_id=n.job.courier_id,
                courier_name=n.job.courier.name if n.job.courier else "",
                actions=(Action.OPEN_SHIPMENT, Action.PROPOSE),
            )
        )
    return items


def stale_parcels(station: Station, now: datetime, cfg: QueueSettings) -> list[ExceptionItem]:
    """Parcels in our hands with no scan or event for ``stale_after`` (device time of the last event)."""
    rows = (
        Shipment.objects.filter(station_id=station.pk, status__in=IN_HAND)
        .annotate(last_at=Max("events__event_at"), last_id=Max("events__id"))
        .filter(last_at__lt=now - cfg.stale_after)
        .order_by("last_at", "pk")
    )
    return [
        ExceptionItem(
            kind=ExceptionKind.STALE_PARCEL,
            subject=f"shipment:{s.pk}:{s.last_id}",
            since=s.last_at,
            detail=_("%(status)s; last scan %(at)s")
            % {"status": ShipmentStatus(s.status).label, "at": _hm(station, s.last_at)},
            shipment_id=s.pk,
            tracking_no=s.tracking_no,
            actions=(Action.OPEN_SHIPMENT,),
        )
        for s in rows
    ]


def mis_sorts(station: Station, now: datetime, cfg: QueueSettings) -> list[ExceptionItem]:
    """The station's parcels, still in our hands, that another station scanned within the look-back:
    sorted to the wrong station (a scan records where it was made: ``scan_rules.scan_station``).
    One item per such scan; the scanning station is named, nothing of it beyond its code."""
    events = list(
        TrackingEvent.objects.filter(
            shipment__station_id=station.pk,
            shipment__status__in=IN_HAND,
            kind__in=SORT_SCANS,
            event_at__gte=now - cfg.lookback,
            station_id__isnull=False,
        )
        .exclude(station_id=station.pk)
        .select_related("shipment", "station")
        .order_by("event_at", "pk")
    )
    return [
        ExceptionItem(
            kind=ExceptionKind.MIS_SORT,
            subject=f"event:{e.pk}",
            since=e.event_at,
            detail=_("%(scan)s at station %(station)s, %(at)s")
            % {
                "scan": EventKind(e.kind).label,
                "station": e.station.code if e.station else "?",
                "at": _hm(station, e.event_at),
            },
            shipment_id=e.shipment_id,
            tracking_no=e.shipment.tracking_no,
            actions=(Action.OPEN_SHIPMENT,),
        )
        for e in events
    ]


def jobs_at_risk(station: Station, now: datetime, cfg: QueueSettings) -> list[ExceptionItem]:
    """Open jobs whose planned ETA is past the end of their window (negotiated, else promised),
    while that window has not ended yet; and jobs dispatch flagged ``at_risk``."""
    flagged = DispatchAlert.objects.filter(
        station_id=station.pk, kind=AlertKind.AT_RISK, resolved_at__isnull=True
    ).values("job_id")
    rows = (
        Job.objects.filter(station_id=station.pk, status__in=OPEN_JOB)
        .annotate(deadline=Coalesce("window_end", "shipment__promised_end"))
        .filter(deadline__gt=now)
        .filter(Q(eta__gt=F("deadline")) | Q(pk__in=Subquery(flagged)))
        .select_related("shipment", "courier")
        .order_by("deadline", "pk")
    )
    items = []
    for job in rows:
        deadline: datetime = job.deadline
        eta = _hm(station, job.eta) if job.eta else "—"
        items.append(
            ExceptionItem(
                kind=ExceptionKind.AT_RISK,
                # A new window (negotiated) is a new occurrence: it comes back if that one is at risk too.
                subject=f"job:{job.pk}:{int(deadline.timestamp())}",
                since=deadline,
                detail=_("ETA %(eta)s, window ends %(end)s") % {"eta": eta, "end": _hm(station, deadline)},
                shipment_id=job.shipment_id,
                tracking_no=job.shipment.tracking_no,
                job_id=job.pk,
                courier_id=job.courier_id,
                courier_name=job.courier.name if job.courier else "",
                actions=(Action.OPEN_SHIPMENT, Action.REASSIGN, Action.PROPOSE),
            )
        )
    return items


def couriers_offline(station: Station, now: datetime, cfg: QueueSettings) -> list[ExceptionItem]:
    """On-duty couriers not heard from (location ping or sync push) for ``offline_after``."""
    pushed = DeviceState.objects.filter(user_id=OuterRef("user_id"), last_push_at__isnull=False)
    rows = (
        Courier.objects.filter(station_id=station.pk, duty_status=DutyStatus.ON_DUTY)
        .annotate(
            last_ping=Max("locations__received_at"),
            last_push=Subquery(pushed.order_by("-last_push_at").values("last_push_at")[:1]),
        )
        .order_by("employee_no")
    )
    items = []
    for c in rows:
        seen = max((t for t in (c.last_ping, c.last_push) if t is not None), default=None)
        if seen is not None and now - seen <= cfg.offline_after:
            continue
        items.append(
            ExceptionItem(
                kind=ExceptionKind.COURIER_OFFLINE,
                # Heard from again, then silent again: a new occurrence.
                subject=f"courier:{c.pk}:{int(seen.timestamp()) if seen else 0}",
                since=seen + cfg.offline_after if seen else now,
                detail=_("Last heard from %(at)s") % {"at": _hm(station, seen)}
                if seen
                else _("Never heard from"),
                courier_id=c.pk,
                courier_name=c.name,
                actions=(Action.REASSIGN,),
            )
        )
    return items


def rejected_sync_ops(station: Station, now: datetime, cfg: QueueSettings) -> list[ExceptionItem]:
    """Handheld ops the server refused that left a fact on the street (a delivery recorded offline
    on a job cancelled meanwhile): the courier's station's, within ``lookback``."""
    ops = list(
        AppliedOp.objects.filter(
            outcome=Outcome.REJECTED,
            kind__in=SUPERVISOR_OP_KINDS,
            code__in=SUPERVISOR_CODES,
            received_at__gte=now - cfg.lookback,
            user_id__in=Subquery(Courier.objects.filter(station_id=station.pk).values("user_id")),
        ).order_by("received_at", "pk")
    )
    job_ids = {j for op in ops if isinstance(j := (op.result.get("details") or {}).get("job_id"), int)}
    jobs = {
        j.pk: j for j in Job.objects.filter(pk__in=job_ids, station_id=station.pk).select_related("shipment")
    }
    couriers = {
        c.user_id: c
        for c in Courier.objects.filter(station_id=station.pk, user_id__in={o.user_id for o in ops})
    }
    items = []
    for op in ops:
        job = jobs.get((op.result.get("details") or {}).get("job_id"))  # type: ignore[arg-type]
        courier = couriers.get(op.user_id)
        items.append(
            ExceptionItem(
                kind=ExceptionKind.SYNC_REJECTED,
                subject=f"op:{op.op_id}",
                since=op.event_at,
                detail=f"{op.kind} → {op.code}: {op.result.get('message', '')}"[:300],
                shipment_id=job.shipment_id if job else None,
                tracking_no=job.shipment.tracking_no if job else "",
                job_id=job.pk if job else None,
                courier_id=courier.pk if courier else None,
                courier_name=courier.name if courier else "",
                actions=(Action.OPEN_SHIPMENT,) if job else (),
            )
        )
    return items


def offline_conflicts(station: Station, now: datetime, cfg: QueueSettings) -> list[ExceptionItem]:
    """Deliveries and failed attempts a handheld recorded before the station cancelled the job,
    took it back or put the parcel in exception: kept with their proof, waiting for a decision
    (docs/sync-protocol.md; accepted or rejected with ``POST /api/v1/offline-conflicts/{id}/resolve``)."""
    return [
        ExceptionItem(
            kind=ExceptionKind.OFFLINE_CONFLICT,
            subject=f"offline_conflict:{c.pk}",
            since=c.recorded_at,
            detail=_("%(kind)s recorded %(at)s; meanwhile job %(job)s, parcel %(parcel)s")
            % {
                "kind": c.kind,
                "at": _hm(station, c.recorded_at),
                "job": c.server_side.get("job_status", ""),
                "parcel": c.server_side.get("shipment_status", ""),
            },
            shipment_id=c.job.shipment_id,
            tracking_no=c.job.shipment.tracking_no,
            job_id=c.job_id,
            courier_id=c.courier_id,
            actions=(Action.OPEN_SHIPMENT,),
        )
        for c in offline_conflicts_open(station_id=station.pk)
    ]


def proofs_without_media(station: Station, now: datetime, cfg: QueueSettings) -> list[ExceptionItem]:
    """A completed job whose proof names a signature or photo that has not arrived
    ``PARCELRUN_PROOF_MEDIA_HOURS`` after the op named it: the delivery stands on a hash alone."""
    named_before = now - timedelta(hours=settings.PARCELRUN_PROOF_MEDIA_HOURS)
    missing = proofs_awaiting_media(station_id=station.pk, named_before=named_before)
    jobs = Job.objects.filter(pk__in=list(missing)).select_related("shipment", "courier").order_by("pk")
    return [
        ExceptionItem(
            kind=ExceptionKind.PROOF_MEDIA_MISSING,
            subject=f"proof_media:{job.pk}",
            since=named_before,
            detail=_("%(n)s proof image(s) never arrived: %(shas)s")
            % {"n": len(missing[job.pk]), "shas": ", ".join(s[:12] for s in missing[job.pk])},
            shipment_id=job.shipment_id,
            tracking_no=job.shipment.tracking_no,
            job_id=job.pk,
            courier_id=job.courier_id,
            courier_name=job.courier.name if job.courier else "",
            actions=(Action.OPEN_SHIPMENT,),
        )
        for job in jobs
    ]


def incidents(station: Station, now: datetime, cfg: QueueSettings) -> list[ExceptionItem]:
    """Unresolved incidents and claims (docs/incidents.md): each comes back to the queue at every
    escalation of its playbook's clocks (the subject names the step), until it is decided."""
    items = []
    for i in incidents_for_station(station_id=station.pk):
        step = (
            Escalation(i.escalation).label
            if i.escalation
            else _("due %(at)s") % {"at": _hm(station, i.ack_due)}
        )
        items.append(
            ExceptionItem(
                kind=ExceptionKind.INCIDENT,
                subject=f"incident:{i.pk}:{i.escalation or 'raised'}",
                since=i.raised_at,
                detail=f"{IncidentType(i.incident_type).label} · {IncidentSource(i.source).label} · {step}; "
                + _("answer by %(at)s") % {"at": _hm(station, i.legal_due)},
                shipment_id=i.shipment_id,
                tracking_no=i.shipment.tracking_no if i.shipment else "",
                job_id=i.job_id,
                courier_id=i.courier_id,
                actions=(Action.OPEN_SHIPMENT,) if i.shipment_id else (),
            )
        )
    return items


# source → the kinds it yields (a resolution re-runs only the sources of its kind).
SOURCES: dict[Source, tuple[str, ...]] = {
    failed_attempts: (ExceptionKind.FAILED_ATTEMPT, ExceptionKind.DAMAGED_OR_LOST),
    shipments_in_exception: (ExceptionKind.DAMAGED_OR_LOST,),
    negotiations: (ExceptionKind.NEGOTIATION_OPEN, ExceptionKind.NEGOTIATION_EXPIRED),
    stale_parcels: (ExceptionKind.STALE_PARCEL,),
    jobs_at_risk: (ExceptionKind.AT_RISK,),
    couriers_offline: (ExceptionKind.COURIER_OFFLINE,),
    rejected_sync_ops: (ExceptionKind.SYNC_REJECTED,),
    offline_conflicts: (ExceptionKind.OFFLINE_CONFLICT,),
    proofs_without_media: (ExceptionKind.PROOF_MEDIA_MISSING,),
    incidents: (ExceptionKind.INCIDENT,),
    mis_sorts: (ExceptionKind.MIS_SORT,),
}
