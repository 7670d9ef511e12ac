"""The exception sources about what the handhelds sent: refused ops that leave a fact on the street,
offline conflicts, proofs whose photos never arrived. See sources.py for the contract."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Subquery
from django.utils.translation import gettext as _

from backend.couriers.models import Courier, Station
from backend.exceptions.items import ExceptionItem, QueueSettings, station_hm
from backend.exceptions.kinds import Action, ExceptionKind
from backend.shipments.models import Job
from backend.shipments.selectors import offline_conflicts_open
from backend.sync.models import AppliedOp, Outcome
from backend.sync.selectors import proofs_awaiting_media

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
                "at": station_hm(station, c.recorded_at),
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
