"""Raising an incident (courier, supervisor, customer, detector), acknowledging and deciding it.

Each is one transaction: lock the incident, check, write, record its event, append the station's
feed row last. The customer is told through the notification gateway when the playbook says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.roles import Role
from backend.common.errors import DomainError
from backend.common.images import ImageBlob
from backend.couriers.models import Station
from backend.incidents.clocks import clocks_for, next_due
from backend.incidents.models import Incident, Playbook
from backend.incidents.services.common import (
    customer_job,
    escalated_steps,
    feed_incident,
    notify_customer,
    record,
)
from backend.incidents.states import (
    CUSTOMER_TYPES,
    EventKind,
    Evidence,
    IncidentState,
    IncidentType,
    LiableParty,
    Resolution,
    Source,
)
from backend.shipments.context import Ctx
from backend.shipments.models import Job, Shipment
from backend.shipments.services.recording import require_station_staff

MAX_DESCRIPTION = 1000
MAX_PHOTOS = 10
MAX_CUSTOMER_PHOTOS = 3  # the complaint form's limit (complaint_photos.MAX_PHOTOS)


@dataclass(frozen=True)
class IncidentInput:
    incident_type: str
    shipment_id: int | None = None
    job_id: int | None = None
    description: str = ""
    photo_sha256: Sequence[str] = field(default_factory=tuple)


def playbook_of(incident_type: str) -> Playbook:
    if incident_type not in IncidentType.values:
        raise DomainError("invalid", f"unknown incident type {incident_type!r}", field="incident_type")
    playbook = Playbook.objects.filter(incident_type=incident_type).first()
    if playbook is None:  # the data migration seeds one per type; an admin may not delete it
        raise DomainError("not_found", f"no playbook for {incident_type!r}")
    return playbook


def _check_evidence(playbook: Playbook, data: IncidentInput) -> None:
    required = set(playbook.required_evidence)
    if Evidence.PHOTO in required and not data.photo_sha256:
        raise DomainError("evidence_missing", "this incident needs at least one photo", evidence="photo")
    if Evidence.DESCRIPTION in required and not data.description.strip():
        raise DomainError("evidence_missing", "this incident needs a description", evidence="description")


def _subject(station_id: int, data: IncidentInput) -> tuple[Shipment | None, Job | None]:
    job = Job.objects.filter(pk=data.job_id).first() if data.job_id else None
    if data.job_id and (job is None or job.station_id != station_id):
        raise DomainError("not_found", f"job {data.job_id} not found at this station")
    shipment_id = data.shipment_id or (job.shipment_id if job else None)
    shipment = Shipment.objects.filter(pk=shipment_id).first() if shipment_id else None
    if shipment_id and (shipment is None or shipment.station_id != station_id):
        raise DomainError("not_found", f"shipment {shipment_id} not found at this station")
    if job is not None and shipment is not None and job.shipment_id != shipment.pk:
        raise DomainError("invalid", "the job is not the shipment's", field="job_id")
    return shipment, job


def _authorise(ctx: Ctx, station_id: int) -> str:
    """The source a person raising an incident is: a courier of the station, or its staff."""
    actor = ctx.actor
    if actor.role is Role.COURIER:
        if actor.station_id != station_id:
            raise DomainError("permission_denied", "this belongs to another station")
        return Source.COURIER
    require_station_staff(ctx, station_id)
    return Source.SUPERVISOR


def incident_raise(
    *,
    station_id: int,
    data: IncidentInput,
    ctx: Ctx,
    source: str | None = None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> Incident:
    """Open an incident at a station and start its playbook's clocks; see docs/incidents.md.

    ``source`` is given by the detectors (``auto``) and the customer page (``customer``); people
    are authorised from ``ctx`` (a courier of the station, or its staff) and must bring the
    playbook's evidence (``evidence_missing``). The same ``dedupe_key`` (a sync op id, an
    Idempotency-Key, a detector's key) returns the incident it opened, unchanged.
    """
    now = now or timezone.now()
    if dedupe_key and (twin := Incident.objects.filter(dedupe_key=dedupe_key).first()) is not None:
        return twin
    station = Station.objects.filter(pk=station_id).first()
    if station is None:
        raise DomainError("not_found", f"station {station_id} does not exist")
    playbook = playbook_of(data.incident_type)
    if source is None:
        source = _authorise(ctx, station_id)
        _check_evidence(playbook, data)
    if len(data.description) > MAX_DESCRIPTION or len(data.photo_sha256) > MAX_PHOTOS:
        raise DomainError("invalid", f"at most {MAX_DESCRIPTION} characters and {MAX_PHOTOS} photos")
    shipment, job = _subject(station_id, data)
    tz = ZoneInfo(station.time_zone)
    raised_at = min(ctx.event_at or now, now)  # a handheld's time, never in the future
    clocks = clocks_for(playbook, raised_at, tz)
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                station=station,
                incident_type=playbook.incident_type,
                source=source,
                shipment=shipment,
                job=job,
                courier_id=ctx.actor.courier_id if ctx.actor.role is Role.COURIER else None,
                description=data.description.strip(),
                photo_sha256=list(data.photo_sha256),
                raised_at=raised_at,
                raised_by_id=ctx.actor.user_id,
                dedupe_key=dedupe_key,
                ack_due=clocks.ack_due,
                decide_due=clocks.decide_due,
                alarm_at=clocks.alarm_at,
                legal_due=clocks.legal_due,
                manager_due=clocks.manager_due,
                calendar_known=clocks.calendar_known,
            )
            incident.next_due = next_due(incident, set())
            incident.save(update_fields=["next_due"])
            record(incident, EventKind.RAISED, now, ctx.actor.user_id, source=source)
            target = customer_job(incident.shipment_id) if playbook.notify_customer else None
            if target is not None and notify_customer(
                target,
                trigger="incident",
                occasion=f"i{incident.pk}",
                template="incident",
                tz=tz,
                deadline=incident.legal_due - timedelta(seconds=1),  # the last day, not 00:00 after it
                now=now,
            ):
                record(incident, EventKind.NOTIFIED, now, None, job_id=target.pk)
            if playbook.notify_supervisor:
                feed_incident(incident)
    except IntegrityError:  # a twin with the same key committed first
        twin = Incident.objects.filter(dedupe_key=dedupe_key).first() if dedupe_key else None
        if twin is None:
            raise
        return twin
    return incident


def customer_complaint(
    *,
    shipment_id: int,
    incident_type: str,
    description: str,
    link_id: str,
    photos: Sequence[ImageBlob] = (),
    store_photos: Callable[[Sequence[ImageBlob]], None] | None = None,
    now: datetime | None = None,
) -> Incident:
    """A complaint from the customer's page (the link names the shipment); once per link and type.

    ``photos`` were checked at the edge (``backend.incidents.complaint_photos``); the incident names
    them by SHA-256 like a courier's (each once), and ``store_photos``
    (``sync.services.attachments.attachments_store_whole``, passed in by backend/urls.py: sync is a layer above
    this app) stores them in the same transaction, so a refused complaint leaves neither. A repeated
    complaint returns the first one, photos unchanged.
    """
    if incident_type not in CUSTOMER_TYPES:
        raise DomainError("invalid", "choose what went wrong", field="incident_type")
    description = description.strip()
    if not description:
        raise DomainError("evidence_missing", "please tell us what happened", evidence="description")
    photos = list({p.sha256: p for p in photos}.values())  # the same photo twice is one photo
    if len(photos) > MAX_CUSTOMER_PHOTOS:
        raise DomainError("too_many_photos", f"at most {MAX_CUSTOMER_PHOTOS} photos")
    if photos and store_photos is None:
        raise ValueError("photos need store_photos")  # wiring, not input: a bug if it happens
    shipment = Shipment.objects.filter(pk=shipment_id).first()
    if shipment is None:
        raise DomainError("not_found", "this parcel was not found")
    key = f"complaint:{link_id}:{incident_type}"[:80]
    with transaction.atomic():
        # The photos first: incident_raise appends the station's feed row, the transaction's last write.
        # A repeated complaint returns the first one unchanged, so its photos are not stored.
        if store_photos is not None and photos and not Incident.objects.filter(dedupe_key=key).exists():
            store_photos(photos)
        return incident_raise(
            station_id=shipment.station_id,
            data=IncidentInput(
                incident_type=incident_type,
                shipment_id=shipment.pk,
                description=description,
                photo_sha256=[p.sha256 for p in photos],
            ),
            ctx=Ctx.system(),
            source=Source.CUSTOMER,
            dedupe_key=key,
            now=now,
        )


def _locked(incident_id: int, ctx: Ctx) -> Incident:
    incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
    if incident is None:
        raise DomainError("not_found", f"incident {incident_id} not found")
    require_station_staff(ctx, incident.station_id)
    if incident.state == IncidentState.RESOLVED:
        raise DomainError("incident_closed", f"incident {incident_id} is already resolved")
    return incident


@transaction.atomic
def incident_acknowledge(*, incident_id: int, ctx: Ctx, now: datetime | None = None) -> Incident:
    """A supervisor takes the incident on (stops the acknowledgement clock); once."""
    now = now or timezone.now()
    incident = _locked(incident_id, ctx)
    if incident.state != IncidentState.OPEN:
        raise DomainError("invalid_transition", f"incident {incident_id} is already acknowledged")
    incident.state = IncidentState.ACKNOWLEDGED
    incident.acknowledged_at = now
    incident.acknowledged_by_id = ctx.actor.require_user_id()
    incident.next_due = next_due(incident, escalated_steps(incident.pk))  # no acknowledgement step now
    incident.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "next_due"])
    record(incident, EventKind.ACKNOWLEDGED, now, incident.acknowledged_by_id)
    feed_incident(incident)
    return incident


@dataclass(frozen=True)
class Decision:
    resolution: str
    note: str = ""
    amount_fen: int | None = None
    liable_party: str = ""


def _check_decision(playbook: Playbook, d: Decision) -> None:
    if d.resolution not in Resolution.values:
        raise DomainError("invalid", f"unknown resolution {d.resolution!r}", field="resolution")
    if d.resolution not in playbook.allowed_resolutions:
        raise DomainError(
            "resolution_not_allowed",
            f"the {playbook.incident_type} playbook allows {playbook.allowed_resolutions}",
            allowed=list(playbook.allowed_resolutions),
        )
    if d.resolution == Resolution.COMPENSATED:
        if d.amount_fen is None or d.amount_fen <= 0:
            raise DomainError("invalid", "a compensation needs an amount in fen", field="amount_fen")
        if d.liable_party not in LiableParty.values:
            raise DomainError("invalid", "a compensation names the liable party", field="liable_party")
    elif d.amount_fen is not None:
        raise DomainError("invalid", "only a compensation carries an amount", field="amount_fen")
    if len(d.note) > 500:
        raise DomainError("invalid", "a note holds at most 500 characters", field="note")


@transaction.atomic
def incident_resolve(
    *, incident_id: int, decision: Decision, ctx: Ctx, now: datetime | None = None
) -> Incident:
    """Decide an incident with one of its playbook's resolutions (compensated: amount and party)."""
    now = now or timezone.now()
    incident = _locked(incident_id, ctx)
    playbook = playbook_of(incident.incident_type)
    _check_decision(playbook, decision)
    user_id = ctx.actor.require_user_id()
    if incident.acknowledged_at is None:  # deciding is acknowledging
        incident.acknowledged_at, incident.acknowledged_by_id = now, user_id
    incident.state = IncidentState.RESOLVED
    incident.resolution = decision.resolution
    incident.amount_fen = decision.amount_fen
    incident.liable_party = decision.liable_party if decision.resolution == Resolution.COMPENSATED else ""
    incident.resolution_note = decision.note.strip()
    incident.resolved_at, incident.resolved_by_id = now, user_id
    incident.next_due = None  # a decided incident's clocks stop
    incident.save()
    record(
        incident,
        EventKind.RESOLVED,
        now,
        user_id,
        resolution=incident.resolution,
        amount_fen=incident.amount_fen,
        liable_party=incident.liable_party,
        within_legal=now <= incident.legal_due,
    )
    target = customer_job(incident.shipment_id) if playbook.notify_customer else None
    if target is not None and notify_customer(
        target,
        trigger="incident_done",
        occasion=f"i{incident.pk}",
        template="incident_done",
        tz=ZoneInfo(incident.station.time_zone),
        deadline=None,
        now=now,
    ):
        record(incident, EventKind.NOTIFIED, now, None, job_id=target.pk, resolution=incident.resolution)
    feed_incident(incident)
    return incident
