from __future__ import annotations

from django.db.models import QuerySet

from backend.waybills.models import WaybillBlock


def open_blocks_for_user(*, user_id: int) -> QuerySet[WaybillBlock]:
    return WaybillBlock.objects.filter(user_id=user_id, closed_at=None).order_by("first_serial")
