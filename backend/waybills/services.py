"""Allocate waybill blocks to devices, check that a device-issued number is really theirs, close blocks."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from backend.accounts.roles import Role
from backend.common.errors import DomainError
from backend.common.validators import clean_tracking_no
from backend.shipments.context import Ctx
from backend.shipments.numbering import reserve_serials
from backend.waybills.models import WaybillBlock
from parcelkit.rules.tracking import serial_of

MAX_BLOCK = 5000
# A handheld may hold this many open blocks: today's and a spare for when today's runs out offline.
MAX_OPEN_BLOCKS_PER_DEVICE = 2


def waybill_block_allocate(*, ctx: Ctx, device_id: str, size: int = 500) -> WaybillBlock:
    if ctx.actor.role is not Role.COURIER:
        raise DomainError("wrong_role", "waybill blocks are issued to couriers' handhelds")
    if not device_id:
        raise DomainError("invalid", "device_id is required")
    if not 1 <= size <= MAX_BLOCK:
        raise DomainError("invalid", f"a block holds 1–{MAX_BLOCK} numbers")
    with transaction.atomic():
        open_blocks = WaybillBlock.objects.select_for_update().filter(device_id=device_id, closed_at=None)
        if len(open_blocks) >= MAX_OPEN_BLOCKS_PER_DEVICE:
            raise DomainError(
                "too_many_open_blocks",
                f"device {device_id} already holds {len(open_blocks)} open blocks; close one first",
            )
        serials = reserve_serials(size)
        return WaybillBlock.objects.create(
            device_id=device_id,
            user_id=ctx.actor.require_user_id(),
            first_serial=serials.start,
            last_serial=serials.stop - 1,
            allocated_at=timezone.now(),
        )


def waybill_block_for_number(*, tracking_no: str, device_id: str) -> WaybillBlock:
    """The open or closed block of ``device_id`` that holds this number, or a refusal.

    Called before a device-issued number is used for a new shipment: a number from someone else's
    block, or from no block at all, is a typo or a forged label.
    """
    serial = serial_of(clean_tracking_no(tracking_no))
    block = WaybillBlock.objects.filter(first_serial__lte=serial, last_serial__gte=serial).first()
    if block is None or block.device_id != device_id:
        raise DomainError(
            "number_not_issued_to_device", f"{tracking_no} was not issued to device {device_id}"
        )
    return block


@transaction.atomic
def waybill_block_close(*, ctx: Ctx, block_id: int, used_serials: list[int]) -> WaybillBlock:
    """The device hands back a block; numbers it did not use become void (never issued again)."""
    block = WaybillBlock.objects.select_for_update().filter(pk=block_id).first()
    if block is None or (ctx.actor.role is Role.COURIER and block.user_id != ctx.actor.user_id):
        raise DomainError("not_found", f"block {block_id} not found")
    if block.closed_at is not None:
        raise DomainError("invalid_transition", f"block {block_id} is already closed")
    outside = [s for s in used_serials if not block.first_serial <= s <= block.last_serial]
    if outside:
        raise DomainError(
            "invalid", f"{len(outside)} reported serials are outside the block", serials=outside[:10]
        )
    used = len(set(used_serials))
    block.used_count = used
    block.void_count = block.size - used
    block.closed_at = timezone.now()
    block.save(update_fields=["used_count", "void_count", "closed_at"])
    return block
