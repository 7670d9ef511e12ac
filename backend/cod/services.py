"""The shift's cash: a courier's declaration, a supervisor's handover, the variance's sign-offs, shift close.

Every service that touches a courier's cash locks the courier's row first (``_lock_courier``):
two supervisors confirming the same courier's handover, or a handover racing the shift's close,
run one after the other. Deliveries do not take that lock; a collection committed after a
handover read the courier's cash is simply not in it and stays held for the next one (each
collection is taken in at most once: ``HandoverItem.collection`` is unique). Rows are appended,
never changed, except a variance's courier signature, set once.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from backend.accounts.roles import Role
from backend.cod import ledger, selectors
from backend.cod.models import Declaration, Handover, ShiftClose, Variance
from backend.common.errors import DomainError
from backend.couriers.models import Courier, DutyStatus
from backend.couriers.selectors import station_today
from backend.couriers.services import courier_set_duty
from backend.shipments.context import Ctx

MAX_FEN = 10**12


def _lock_courier(courier_id: int) -> Courier:
    courier = Courier.objects.select_for_update().select_related("station").filter(pk=courier_id).first()
    if courier is None:
        raise DomainError("not_found", f"courier {courier_id} does not exist")
    return courier


def _fen(value: object, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_FEN:
        raise DomainError("invalid", f"{field} must be a whole number of fen, 0 or more", field=field)
    return value


def require_station_staff(ctx: Ctx, station_id: int, *, courier_id: int) -> None:
    """A supervisor of the courier's station or an admin; another station's courier is "not found"."""
    if ctx.actor.role is Role.COURIER:
        raise DomainError("wrong_role", "only a supervisor can do this")
    if not ctx.actor.can_see_station(station_id):
        raise DomainError("not_found", f"courier {courier_id} does not exist")


def _require_courier_or_staff(ctx: Ctx, courier: Courier) -> None:
    """The courier themself, a supervisor of their station, or an admin; others see nothing (404)."""
    actor = ctx.actor
    if actor.role is Role.COURIER and actor.courier_id == courier.pk:
        return
    if actor.role in (Role.SUPERVISOR, Role.ADMIN) and actor.can_see_station(courier.station_id):
        return
    raise DomainError("not_found", f"courier {courier.pk} does not exist")


@transaction.atomic
def declaration_record(*, ctx: Ctx, declared_fen: int) -> Declaration:
    """The courier declares the cash they hand over (their own count), e.g. from the handheld offline."""
    if ctx.actor.role is not Role.COURIER:
        raise DomainError("wrong_role", "only a courier declares their cash")
    amount = _fen(declared_fen, "declared_fen")
    courier = _lock_courier(ctx.actor.require_courier_id())
    now = timezone.now()
    return Declaration.objects.create(
        courier=courier,
        station_id=courier.station_id,
        declared_fen=amount,
        declared_at=ctx.event_at or now,
        recorded_at=now,
        op_id=ctx.idempotency_key or "",
    )


def handover_confirm(
    *, courier_id: int, ctx: Ctx, received_fen: int, expected_fen: int, reason: str = ""
) -> Handover:
    """A supervisor confirms the cash received from a courier; a difference becomes a signed variance.

    ``expected_fen`` is the amount the supervisor was shown: when the courier's cash changed since
    (a delivery synced meanwhile, the same handover confirmed twice) the confirmation is refused
    with ``handover_stale`` and the current amount, rather than confirming an amount nobody saw.
    ``received_fen`` other than the expected amount needs a ``reason`` (``reason_required``):
    the ``Variance`` row carries it, signed by this supervisor; the courier signs it afterwards.

    Everything that needs no lock is done before the transaction; inside it are three statements
    (``ledger``: lock the courier, read what is held and the declaration, append the rows).
    """
    received = _fen(received_fen, "received_fen")
    if ctx.actor.role is Role.COURIER:
        raise DomainError("wrong_role", "only a supervisor can do this")
    user_id = ctx.actor.require_user_id()
    reason = reason.strip()[:200]
    now = timezone.now()
    with transaction.atomic():
        locked = ledger.lock_courier(courier_id)
        if locked is None:
            raise DomainError("not_found", f"courier {courier_id} does not exist")
        require_station_staff(ctx, locked.station_id, courier_id=courier_id)
        basis = ledger.basis(courier_id)
        expected = basis.expected_fen
        if expected != expected_fen:
            raise DomainError(
                "handover_stale",
                f"the courier now holds {expected / 100:.2f} yuan, not {expected_fen / 100:.2f}; check again",
                expected_fen=expected,
            )
        if not basis.held and received == 0:
            raise DomainError("invalid", "the courier holds no cash to hand over", field="received_fen")
        if received != expected and not reason:
            raise DomainError(
                "reason_required", "the amount differs from what the courier holds: say why", field="reason"
            )
        new = ledger.NewHandover(
            locked=locked,
            service_date=(ctx.event_at or now).astimezone(ZoneInfo(locked.time_zone)).date(),
            expected_fen=expected,
            received_fen=received,
            declared_id=basis.declared_id,
            user_id=user_id,
            at=now,
            op_id=ctx.idempotency_key or "",
            collection_ids=[pk for pk, _ in basis.held],
            reason=reason,
        )
        handover_id, variance_id = ledger.write(new)
    return _handover_of(new, handover_id, variance_id)


def _handover_of(new: ledger.NewHandover, handover_id: int, variance_id: int | None) -> Handover:
    """The rows just written as model instances (no query); the variance cached on the handover."""
    c = new.locked
    handover = Handover(
        pk=handover_id,
        courier_id=c.courier_id,
        station_id=c.station_id,
        service_date=new.service_date,
        expected_fen=new.expected_fen,
        received_fen=new.received_fen,
        declared_id=new.declared_id,
        confirmed_by_id=new.user_id,
        confirmed_at=new.at,
        op_id=new.op_id,
    )
    handover._state.adding, handover._state.db = False, "default"
    if variance_id is not None:
        variance = Variance(
            pk=variance_id,
            courier_id=c.courier_id,
            station_id=c.station_id,
            service_date=new.service_date,
            amount_fen=new.received_fen - new.expected_fen,
            reason=new.reason,
            supervisor_signed_by_id=new.user_id,
            supervisor_signed_at=new.at,
        )
        variance._state.adding, variance._state.db = False, "default"
        handover.variance = variance  # sets variance.handover too
    return handover


@transaction.atomic
def variance_sign(*, variance_id: int, ctx: Ctx, note: str = "") -> Variance:
    """The courier signs a variance of their own handover (the second sign-off); once."""
    if ctx.actor.role is not Role.COURIER:
        raise DomainError("wrong_role", "the courier signs their own variance")
    variance = (
        Variance.objects.select_for_update()
        .filter(pk=variance_id, courier_id=ctx.actor.require_courier_id())
        .first()
    )
    if variance is None:
        raise DomainError("not_found", f"variance {variance_id} does not exist")
    if variance.courier_signed_at is not None:
        raise DomainError("already_signed", "you already signed this variance")
    variance.courier_signed_by_id = ctx.actor.require_user_id()
    variance.courier_signed_at = ctx.event_at or timezone.now()
    variance.courier_note = note.strip()[:200]
    variance.save(update_fields=["courier_signed_by", "courier_signed_at", "courier_note"])
    return variance


@transaction.atomic
def shift_close(*, courier_id: int, ctx: Ctx) -> ShiftClose:
    """Close the courier's shift: refused with ``cash_unreturned`` while they hold cash.

    Cash is returned by a handover (``handover_confirm``); cash that cannot be returned is closed
    the same way, with the supervisor signing the difference as a variance. On success the courier
    goes off duty and a ``ShiftClose`` row records who closed it, linked to the last handover.
    """
    courier = _lock_courier(courier_id)
    _require_courier_or_staff(ctx, courier)
    held = selectors.held_total(courier.pk)
    if held["count"]:
        raise DomainError(
            "cash_unreturned",
            f"hand over the {held['fen'] / 100:.2f} yuan cash held ({held['count']} records) before closing the shift",
            held_fen=held["fen"],
            held_count=held["count"],
        )
    now = ctx.event_at or timezone.now()
    closed = ShiftClose.objects.create(
        courier=courier,
        station_id=courier.station_id,
        service_date=station_today(courier.station, now),
        closed_at=now,
        closed_by_id=ctx.actor.require_user_id(),
        handover=Handover.objects.filter(courier=courier).order_by("-pk").first(),
    )
    courier_set_duty(courier_id=courier.pk, duty_status=DutyStatus.OFF_DUTY)
    return closed
