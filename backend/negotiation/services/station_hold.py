"""The counter: a customer collects a parcel held at the station with its 6-digit pickup code.

Attempt-limited: every wrong code counts, and after ``pickup_codes.max_attempts()`` (5) the hold
locks and only a supervisor can unlock it (an exception in their queue). A wrong code is committed
before the error is raised, so retrying cannot reset the count. The code is never logged: the
events carry the attempt count only.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.negotiation import pickup_codes
from backend.negotiation.models import Negotiation, PickupHold
from backend.negotiation.services.exceptions import exception_open
from backend.negotiation.services.recording import record
from backend.negotiation.states import ExceptionKind
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services.counter import job_hand_over_at_counter
from backend.shipments.services.recording import lock_job, require_station_staff
from backend.shipments.states import RecipientRelation


def pickup_hand_over(
    *,
    job_id: int,
    code: str,
    ctx: Ctx,
    recipient_name: str,
    recipient_relation: str = RecipientRelation.SELF,
    cod_collected_fen: int = 0,
    now: datetime | None = None,
) -> Job:
    """Check the pickup code read out at the counter and, when right, deliver the job there.

    Station staff only. ``not_found`` when the job has no open hold; ``pickup_code_locked`` when
    too many wrong codes were tried; ``pickup_code_wrong`` (with ``attempts_left``) for a wrong
    code — that attempt is kept even though the call fails. A right code hands the parcel over
    with a ``station`` proof naming the customer's consent (``shipments.services.counter``).
    Not to be called inside a caller's transaction: a wrong attempt must commit.
    """
    now = now or timezone.now()
    with transaction.atomic():
        outcome = _try(job_id, code, ctx, recipient_name, recipient_relation, cod_collected_fen, now)
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def _try(
    job_id: int,
    code: str,
    ctx: Ctx,
    recipient_name: str,
    recipient_relation: str,
    cod_collected_fen: int,
    now: datetime,
) -> Job | DomainError:
    job = lock_job(job_id)
    require_station_staff(ctx, job.station_id)
    hold = (
        PickupHold.objects.select_for_update()
        .select_related("consent")
        .filter(job_id=job.pk, handed_over_at__isnull=True)
        .order_by("-pk")
        .first()
    )
    if hold is None or job.next_step.get("pickup_hold_id") != hold.pk:
        raise DomainError("not_found", f"job {job.pk} has no parcel held for collection")
    negotiation = Negotiation.objects.get(pk=hold.consent.negotiation_id)
    if hold.locked_at is not None:
        raise DomainError(
            "pickup_code_locked", "too many wrong codes: a supervisor must unlock this parcel", job_id=job.pk
        )
    if not pickup_codes.matches(hold.secret, code):
        hold.failed_attempts += 1
        left = max(pickup_codes.max_attempts() - hold.failed_attempts, 0)
        fields = ["failed_attempts"]
        if left == 0:
            hold.locked_at = now
            fields.append("locked_at")
            exception_open(job, negotiation, ExceptionKind.PICKUP_CODE_LOCKED, {"hold": hold.pk}, now)
        hold.save(update_fields=fields)
        record(negotiation, "code_wrong", ctx, now, {"hold": hold.pk, "attempts": hold.failed_attempts})
        if left == 0:
            return DomainError(
                "pickup_code_locked",
                "too many wrong codes: a supervisor must unlock this parcel",
                job_id=job.pk,
            )
        return DomainError("pickup_code_wrong", "the pickup code does not match", attempts_left=left)
    job = job_hand_over_at_counter(
        job_id=job.pk,
        ctx=ctx,
        consent_id=hold.consent_id,
        recipient_name=recipient_name,
        recipient_relation=recipient_relation,
        cod_collected_fen=cod_collected_fen,
        at=now,
    )
    hold.handed_over_at = now
    hold.save(update_fields=["handed_over_at"])
    record(negotiation, "handed_over", ctx, now, {"hold": hold.pk})
    return job
