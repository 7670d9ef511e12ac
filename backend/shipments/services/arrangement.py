"""What the customer agreed for a delivery: a new time window, or what to do with the parcel.

The negotiation app (backend/negotiation/) decides *what* was agreed and keeps the consent record;
this is the one place that writes the agreement onto the job, so the handheld's pull and the
station's feed see it like any other change of the job.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from backend.common.errors import DomainError
from backend.common.validators import clean_coordinates, clean_time_window
from backend.shipments import transitions
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services.followups import replan_after_commit
from backend.shipments.services.recording import (
    check_version,
    feed_job,
    lock_job,
    record_event,
    require_own_job,
    save_job,
)
from backend.shipments.states import EventKind, JobStatus, NextStep

# Agreements a courier does not carry out on the route: a return waits for a supervisor's
# confirmation, a parcel held at the station is handed over at the counter (``counter``).
STAYS_FAILED = frozenset({NextStep.RETURN, NextStep.HOLD_STATION})


@transaction.atomic
def job_set_arrangement(
    *,
    job_id: int,
    ctx: Ctx,
    next_step: dict[str, Any],
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    address: str | None = None,
    lat: float | None = None,
    lng: float | None = None,
    reopen: bool = True,
    expected_version: int | None = None,
) -> Job:
    """Write an agreed arrangement onto an open or failed job and ask for a re-plan of its courier.

    ``next_step`` is stored as the job's ``next_step`` (its ``kind`` is a ``NextStep``; a
    ``consent_id`` in it is what a locker or station proof must name, see ``shipments.consent``).
    A window, when given, replaces the job's window; an ``address`` (a redirect inside the
    station's area, with its coordinates when known) replaces the job's address. A failed job with
    a courier is given back to that courier (failed → assigned), because the agreement is a new
    attempt; a ``return`` or a hold at the station is not (``STAYS_FAILED``), nor is anything a
    caller marks ``reopen=False`` (waiting for a supervisor). Locks the job then its shipment;
    callable inside a caller's transaction that already holds them.
    """
    if next_step.get("kind") not in NextStep.values:
        raise DomainError("invalid", f"next_step.kind must be one of {NextStep.values}")
    if window_start is not None or window_end is not None:
        clean_time_window(window_start, window_end)
    if address is not None and not 5 <= len(address.strip()) <= 255:
        raise DomainError("invalid", "an address is 5–255 characters", field="address")
    if (lat is None) != (lng is None) or (lat is not None and address is None):
        raise DomainError("invalid_coordinates", "give both lat and lng, with the address")
    if lat is not None and lng is not None:
        clean_coordinates(lat, lng)
    job = lock_job(job_id)
    require_own_job(ctx, job)
    check_version(job, expected_version)
    if job.status in (JobStatus.COMPLETED, JobStatus.CANCELLED):
        transitions.check_job(job.status, JobStatus.ASSIGNED)  # raises invalid_transition
    fields = ["next_step"]
    job.next_step = dict(next_step)
    if window_start is not None:
        job.window_start, job.window_end = window_start, window_end
        fields += ["window_start", "window_end"]
    if address is not None:
        job.address, job.lat, job.lng = address.strip(), lat, lng
        fields += ["address", "lat", "lng"]
    reopened = (
        reopen
        and job.status == JobStatus.FAILED
        and job.courier_id is not None
        and next_step["kind"] not in STAYS_FAILED
    )
    if reopened:
        job.status = JobStatus.ASSIGNED
        job.planned_seq = None
        job.eta = None
        fields += ["status", "planned_seq", "eta"]
    save_job(job, fields)
    if reopened:
        record_event(
            ctx,
            shipment=job.shipment,
            job=job,
            kind=EventKind.JOB_ASSIGNED,
            details={"reason": "customer agreement", "next_step": job.next_step},
        )
    feed_job("job.updated", job)
    replan_after_commit(job.courier_id, "customer agreement", urgent=True)
    return job
