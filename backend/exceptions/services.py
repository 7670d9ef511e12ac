"""The exceptions' write path: resolving one with a reason, and unmasking a contact detail.

Both are decisions a person is accountable for, so each writes its row (who, when, why) in the
same transaction as it acts, and refuses without a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.couriers.models import Station
from backend.exceptions.kinds import ExceptionKind, RevealField
from backend.exceptions.models import ContactReveal, ExceptionResolution
from backend.exceptions.selectors import exception_find
from backend.shipments.context import Ctx
from backend.shipments.models import Shipment
from backend.shipments.services.recording import require_station_staff

MAX_REASON = 500


def _clean_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError("invalid", "a reason is required")
    if len(reason) > MAX_REASON:
        raise DomainError("invalid", f"a reason holds at most {MAX_REASON} characters")
    return reason


def exception_resolve(
    *, station_id: int, kind: str, subject: str, reason: str, ctx: Ctx, now: datetime | None = None
) -> ExceptionResolution:
    """Close the open exception ``kind``/``subject`` of a station, with the supervisor's reason.

    ``permission_denied`` for another station's supervisor, ``wrong_role`` for a courier,
    ``invalid`` without a reason or for an unknown kind, ``not_found`` when it is no exception
    (any more) at ``now``, ``already_resolved`` when someone closed it first (the unique
    constraint decides between two supervisors clicking at once).
    """
    now = now or timezone.now()
    require_station_staff(ctx, station_id)
    reason = _clean_reason(reason)
    if kind not in ExceptionKind.values:
        raise DomainError("invalid", f"unknown exception kind {kind!r}")
    station = Station.objects.filter(pk=station_id).first()
    if station is None:
        raise DomainError("not_found", f"station {station_id} does not exist")
    already = ExceptionResolution.objects.filter(station_id=station_id, kind=kind, subject=subject).first()
    if already is not None:
        raise DomainError("already_resolved", "this exception was already resolved", resolution_id=already.pk)
    item = exception_find(station=station, kind=kind, subject=subject, now=now)
    if item is None:
        raise DomainError("not_found", f"{kind} {subject} is not an open exception")
    try:
        with transaction.atomic():
            return ExceptionResolution.objects.create(
                station_id=station_id,
                kind=kind,
                subject=subject,
                shipment_id=item.shipment_id,
                reason=reason,
                resolved_by_id=ctx.actor.require_user_id(),
                resolved_at=now,
            )
    except IntegrityError:
        raise DomainError("already_resolved", "this exception was already resolved") from None


@dataclass(frozen=True)
class Revealed:
    field: str
    value: str
    reveal: ContactReveal


@transaction.atomic
def contact_reveal(
    *, shipment_id: int, field: str, reason: str, ctx: Ctx, now: datetime | None = None
) -> Revealed:
    """The full value of one contact field of a shipment, for a supervisor of its station.

    Writes the ``ContactReveal`` audit row (who, when, which field, which shipment, why) before
    the value leaves this function; no reason, no value (``invalid``).
    """
    now = now or timezone.now()
    if field not in RevealField.values:
        raise DomainError("invalid", f"{field!r} cannot be revealed")
    reason = _clean_reason(reason)
    shipment = Shipment.objects.filter(pk=shipment_id).first()
    if shipment is None:
        raise DomainError("not_found", f"shipment {shipment_id} does not exist")
    require_station_staff(ctx, shipment.station_id)
    reveal = ContactReveal.objects.create(
        station_id=shipment.station_id,
        shipment_id=shipment.pk,
        field=field,
        reason=reason,
        revealed_by_id=ctx.actor.require_user_id(),
        revealed_at=now,
    )
    return Revealed(field=field, value=str(getattr(shipment, field)), reveal=reveal)
