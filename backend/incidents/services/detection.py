"""Incidents nobody reported: a parcel in our hands that nobody scanned for ``loss_after`` (a loss
suspect), and a delivery still open after its window ended (a delay).

Each detector runs from Celery beat, takes ``now``, raises each occurrence once (its dedupe key
names the occurrence: the last event of the silent parcel, the window the job missed) and does a
bounded amount of work per run (the next run takes the rest).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from backend.incidents.models import Incident
from backend.incidents.services.incidents import IncidentInput, incident_raise
from backend.incidents.states import IncidentType, Source
from backend.shipments.context import Ctx
from backend.shipments.models import Job, Shipment, TrackingEvent
from backend.shipments.states import JobKind, JobStatus, ShipmentStatus

BATCH = 200
# A parcel in these statuses is in our hands and should keep being scanned.
IN_HAND = (
    ShipmentStatus.PICKED_UP,
    ShipmentStatus.AT_STATION,
    ShipmentStatus.OUT_FOR_DELIVERY,
    ShipmentStatus.DELIVERY_FAILED,
    ShipmentStatus.RETURNING,
)
OPEN = (JobStatus.PENDING, JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.STARTED, JobStatus.ARRIVED)


def _new(keys: dict[str, int]) -> dict[str, int]:
    """The occurrences not raised yet (key → id)."""
    seen = set(Incident.objects.filter(dedupe_key__in=list(keys)).values_list("dedupe_key", flat=True))
    return {k: v for k, v in keys.items() if k not in seen}


def detect_loss_suspects(*, now: datetime | None = None, hours: int | None = None) -> int:
    """Raise a loss suspect for each parcel in our hands with no event for ``hours``; returns how many."""
    now = now or timezone.now()
    silent = timedelta(hours=hours if hours is not None else settings.PARCELRUN_LOSS_SUSPECT_HOURS)
    last = TrackingEvent.objects.filter(shipment_id=OuterRef("pk")).order_by("-event_at", "-pk")
    # A suspect raised after the last event is this silence's: not again (the key is the safety net).
    raised = Incident.objects.filter(
        shipment_id=OuterRef("pk"), incident_type=IncidentType.LOSS, source=Source.AUTO
    ).filter(raised_at__gte=OuterRef("last_at"))
    rows = (
        Shipment.objects.filter(status__in=IN_HAND)
        .annotate(last_at=Subquery(last.values("event_at")[:1]), last_id=Subquery(last.values("pk")[:1]))
        .filter(last_at__lt=now - silent)
        .exclude(Exists(raised))
        .order_by("last_at", "pk")
        .values_list("pk", "last_id")[:BATCH]
    )
    fresh = _new({f"loss:{pk}:{last}": pk for pk, last in rows})
    for key, shipment_id in list(fresh.items())[:BATCH]:
        station_id = Shipment.objects.values_list("station_id", flat=True).get(pk=shipment_id)
        incident_raise(
            station_id=station_id,
            data=IncidentInput(
                incident_type=IncidentType.LOSS,
                shipment_id=shipment_id,
                description=f"no scan for {silent.total_seconds() / 3600:g} h",
            ),
            ctx=Ctx.system(),
            source=Source.AUTO,
            dedupe_key=key,
            now=now,
        )
    return min(len(fresh), BATCH)


def detect_delays(*, now: datetime | None = None, grace_minutes: int | None = None) -> int:
    """Raise a delay for each open delivery whose window (negotiated, else promised) ended more
    than ``grace_minutes`` ago; a job a disruption holds is not late by our doing. Returns how many."""
    now = now or timezone.now()
    grace = timedelta(
        minutes=grace_minutes if grace_minutes is not None else settings.PARCELRUN_DELAY_GRACE_MINUTES
    )
    # A delay raised after the window ended is this window's: not again (a new window is a new one).
    raised = Incident.objects.filter(
        job_id=OuterRef("pk"), incident_type=IncidentType.DELAY, source=Source.AUTO
    ).filter(raised_at__gte=OuterRef("deadline"))
    rows = (
        Job.objects.filter(kind=JobKind.DELIVERY, status__in=OPEN, on_hold=False)
        .annotate(deadline=Coalesce("window_end", "shipment__promised_end"))
        .filter(deadline__lt=now - grace)
        .exclude(Exists(raised))
        .order_by("deadline", "pk")
        .values_list("pk", "deadline", "station_id", "shipment_id")[:BATCH]
    )
    found = {f"delay:{pk}:{int(deadline.timestamp())}": (pk, st, sh) for pk, deadline, st, sh in rows}
    fresh = _new({k: v[0] for k, v in found.items()})
    for key in list(fresh)[:BATCH]:
        job_id, station_id, shipment_id = found[key]
        incident_raise(
            station_id=station_id,
            data=IncidentInput(
                incident_type=IncidentType.DELAY,
                shipment_id=shipment_id,
                job_id=job_id,
                description="the delivery window ended and the parcel is not delivered",
            ),
            ctx=Ctx.system(),
            source=Source.AUTO,
            dedupe_key=key,
            now=now,
        )
    return min(len(fresh), BATCH)
