"""The one write of the calls app: bind a virtual number to a courier's job (docs/api.md, "Calling")."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.calls.gateway import BindRequest, GatewayError, get_gateway
from backend.calls.models import NumberBinding
from backend.common.errors import DomainError
from backend.couriers.models import Courier
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.states import JobKind, JobStatus

CLOSED = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
# A binding this close to its end is not handed out again: the call would be cut mid-sentence.
REUSE_MARGIN = timedelta(minutes=2)


def call_bind(*, job_id: int, ctx: Ctx) -> NumberBinding:
    """A virtual number through which the job's courier calls its customer.

    The customer is the recipient of a delivery and the sender of a pickup. Only the job's
    courier may bind (``not_assigned_to_you``), and only while the job is open (``job_closed``).
    A live binding of the same courier and job is handed out again, so a courier calling twice
    dials the same number; otherwise the provider lends a new one for ``CALLS_BINDING_MINUTES``
    (``virtual_number_unavailable`` when it cannot). The provider is asked outside the job's row
    lock: a slow provider must not hold up a delivery; the lock then re-checks before recording.
    """
    now = timezone.now()
    job, courier = _open_job_of(job_id, ctx, lock=False)
    live = (
        NumberBinding.objects.filter(job_id=job.pk, courier_id=courier.pk, expires_at__gt=now + REUSE_MARGIN)
        .order_by("-expires_at")
        .first()
    )
    if live is not None:
        return live
    shipment = job.shipment
    callee = shipment.sender_phone if job.kind == JobKind.PICKUP else shipment.recipient_phone
    expires_at = now + timedelta(minutes=settings.CALLS_BINDING_MINUTES)
    request = BindRequest(
        reference=f"j{job.pk}-c{courier.pk}-{secrets.token_hex(8)}",
        caller=courier.phone,
        callee=callee,
        expires_at=expires_at,
    )
    gateway = get_gateway()
    try:
        bound = gateway.bind(request)
    except GatewayError as exc:
        raise DomainError(
            "virtual_number_unavailable", f"no virtual number could be had: {exc.reason}", job_id=job_id
        ) from exc
    with transaction.atomic():
        _open_job_of(job_id, ctx, lock=True)
        return NumberBinding.objects.create(
            job_id=job.pk,
            courier_id=courier.pk,
            reference=request.reference,
            provider=gateway.name,
            provider_id=bound.provider_id,
            number=bound.number,
            extension=bound.extension,
            created_at=now,
            expires_at=expires_at,
        )


def _open_job_of(job_id: int, ctx: Ctx, *, lock: bool) -> tuple[Job, Courier]:
    qs = Job.objects.select_related("shipment", "courier")
    job = (qs.select_for_update(of=("self",)) if lock else qs).filter(pk=job_id).first()
    if job is None:
        raise DomainError("not_found", f"job {job_id} not found")
    if job.courier is None or job.courier_id != ctx.actor.courier_id:
        raise DomainError("not_assigned_to_you", f"job {job_id} is not assigned to you", job_id=job_id)
    if job.status in CLOSED:
        raise DomainError("job_closed", f"job {job_id} is {job.status}", job_id=job_id, status=job.status)
    return job, job.courier
