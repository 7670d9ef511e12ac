"""Money taken at the door: the ``Collection`` rows, written only here. Append-only.

A delivery's COD amount and a pickup's fee are written by the service that records the door
event (``completion``), in its transaction and through ``recording.insert`` (so a sync push's
unit of work writes them with the rest). A supervisor's correction is a new row naming the row it
corrects; no row is ever updated or deleted. The shift's ledger (handovers, variances, closing
the shift) is ``backend/cod``, above this layer.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backend.accounts.roles import Role
from backend.common.errors import DomainError
from backend.shipments.context import Ctx
from backend.shipments.models import Collection, Job
from backend.shipments.services.recording import insert, require_station_staff
from backend.shipments.states import CollectionKind
from parcelkit.rules import cod as cod_rules

MAX_CORRECTION_FEN = 10**12

# Pickup payment methods that are money taken at the door (a monthly account or "receiver pays" is not).
DOOR_PAYMENTS = cod_rules.COLLECTION_METHODS


def record_collection(
    job: Job,
    ctx: Ctx,
    *,
    kind: CollectionKind,
    courier_id: int,
    method: str,
    amount_fen: int,
    expected_fen: int,
    payment_ref: str,
    collected_at: datetime,
) -> Collection:
    """The row for money taken at the door; the caller holds the job lock and checked the amount."""
    row = Collection(
        kind=kind,
        job=job,
        shipment_id=job.shipment_id,
        station_id=job.station_id,
        courier_id=courier_id,
        method=method,
        amount_fen=amount_fen,
        expected_fen=expected_fen,
        payment_ref=payment_ref.strip(),
        collected_at=collected_at,
        service_date=job.service_date,
        recorded_at=timezone.now(),
        recorded_by_id=ctx.actor.user_id,
        op_id=ctx.idempotency_key or "",
    )
    insert(row)
    return row


@transaction.atomic
def collection_correct(
    *, collection_id: int, ctx: Ctx, amount_fen: int, method: str, payment_ref: str = "", reason: str
) -> Collection:
    """A supervisor corrects a money record with a new row: ``amount_fen`` is the difference.

    The corrected row stays as it was. A cash amount recorded as 50.00 that was 45.00 is a
    correction of -500 fen; cash that was really a WeChat payment is two corrections (cash -X,
    wechat +X with its reference). The correction belongs to the courier and day of the row it
    corrects, and a cash correction is settled at the courier's next handover.
    """
    original = (
        Collection.objects.select_related("job").filter(pk=collection_id).exclude(kind="correction").first()
    )
    if original is None or not (
        ctx.actor.role is Role.COURIER or ctx.actor.can_see_station(original.station_id)
    ):
        raise DomainError("not_found", f"collection {collection_id} does not exist")
    require_station_staff(ctx, original.station_id)
    if not isinstance(amount_fen, int) or amount_fen == 0 or abs(amount_fen) > MAX_CORRECTION_FEN:
        raise DomainError("invalid", "a correction is a non-zero whole number of fen", field="amount_fen")
    if not reason.strip():
        raise DomainError("reason_required", "say why the record is corrected", field="reason")
    problems = cod_rules.check_method(method, payment_ref)
    if problems:
        raise DomainError("invalid", "; ".join(problems), field="method")
    row = Collection(
        kind=CollectionKind.CORRECTION,
        job=original.job,
        shipment_id=original.shipment_id,
        station_id=original.station_id,
        courier_id=original.courier_id,
        method=method,
        amount_fen=amount_fen,
        expected_fen=0,
        payment_ref=payment_ref.strip(),
        collected_at=ctx.event_at or timezone.now(),
        service_date=original.service_date,
        recorded_at=timezone.now(),
        recorded_by_id=ctx.actor.user_id,
        op_id=ctx.idempotency_key or "",
        corrects=original,
        reason=reason.strip()[:200],
    )
    row.save(force_insert=True)
    return row
