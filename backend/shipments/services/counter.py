"""Handing a held parcel over at the station counter: the delivery of a job the customer chose to
collect ("hold at the station"), with a ``station`` proof that names their consent.

The pickup code is checked by the negotiation app (``negotiation.services.station_hold``), which
keeps the attempt count; this only records the delivery, through the same ``record_delivery`` as
the courier's door.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from backend.common.errors import DomainError
from backend.shipments import transitions
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services.completion import record_delivery
from backend.shipments.services.door_inputs import ProofInput
from backend.shipments.services.recording import (
    feed_job,
    lock_job,
    record_event,
    require_station_staff,
    save_shipment,
)
from backend.shipments.states import (
    EventKind,
    JobKind,
    JobStatus,
    NextStep,
    ProofMethod,
    RecipientRelation,
    ShipmentStatus,
)

# A job whose parcel can be at the counter: after a failed attempt (the usual case), or not yet
# taken out by its courier (the customer chose the station before the first attempt).
WAITING = frozenset({JobStatus.FAILED, JobStatus.PENDING, JobStatus.ASSIGNED, JobStatus.ACCEPTED})


@transaction.atomic
def job_hand_over_at_counter(
    *,
    job_id: int,
    ctx: Ctx,
    consent_id: int,
    recipient_name: str,
    recipient_relation: str = RecipientRelation.SELF,
    cod_collected_fen: int = 0,
    at: datetime,
) -> Job:
    """Deliver a held job at the counter to whoever showed its pickup code.

    Station staff only (``wrong_role``, ``permission_denied``). The job must be a delivery whose
    agreed next step is ``hold_station`` with this ``consent_id`` (``consent_required``), waiting
    (``WAITING``: failed, or not yet out with its courier; else ``invalid_transition``). A parcel
    not yet marked held (back at the station, or still recorded as the failed attempt) is held
    first — it is at the counter — then delivered: ``held`` and ``delivered`` events, the job
    completed, a ``job.updated`` row. Caller holds no lock or holds this job's (``lock_job`` order).
    """
    job = lock_job(job_id)
    require_station_staff(ctx, job.station_id)
    if job.kind != JobKind.DELIVERY:
        raise DomainError("wrong_job_kind", "this is a pickup, not a delivery")
    if job.next_step.get("kind") != NextStep.HOLD_STATION:
        raise DomainError(
            "invalid_transition",
            f"job {job.pk} is not held at the station for its customer",
            entity="job",
            current=job.status,
            requested=JobStatus.COMPLETED,
        )
    if job.status not in WAITING:
        # A held job waits off the road; a started one is out with a courier.
        raise DomainError(
            "invalid_transition",
            f"job {job.pk} is {job.status}, not waiting at the station",
            entity="job",
            current=job.status,
            requested=JobStatus.COMPLETED,
        )
    shipment = job.shipment
    if shipment.status != ShipmentStatus.HELD:
        transitions.check_shipment(shipment.status, ShipmentStatus.HELD)
        shipment.status = ShipmentStatus.HELD
        save_shipment(shipment, ["status"])
        record_event(ctx, shipment=shipment, job=job, kind=EventKind.HELD, details={"at": "counter"})
    transitions.check_shipment(shipment.status, ShipmentStatus.DELIVERED)
    proof = ProofInput(
        method=ProofMethod.STATION,
        recipient_relation=recipient_relation,
        recipient_name=recipient_name.strip()[:64],
        cod_collected_fen=cod_collected_fen,
        consent_id=consent_id,
    )
    record_delivery(job, ctx, proof, captured_at=at)
    feed_job("job.updated", job)
    return job
