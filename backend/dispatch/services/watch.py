"""The periodic look at couriers on the road: fresh ETAs, and a re-plan for those falling behind."""

from __future__ import annotations

import logging
from datetime import datetime

from backend.common.errors import DomainError
from backend.couriers.models import Courier, DutyStatus
from backend.dispatch.services.debounce import replan_soon
from backend.dispatch.services.planning import courier_refresh_etas
from backend.dispatch.services.routes import REMAINING

log = logging.getLogger(__name__)


def watch_couriers(*, now: datetime | None = None) -> int:
    """Refresh every on-duty courier's ETAs (same order, from where they are now); a courier whose
    route now misses a window or the shift end gets a debounced re-plan. Returns how many."""
    asked = 0
    ids = (
        Courier.objects.filter(duty_status=DutyStatus.ON_DUTY, jobs__status__in=REMAINING)
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
    for courier_id in ids:
        try:
            _, behind = courier_refresh_etas(courier_id=courier_id, now=now)
        except DomainError as exc:  # a job changed under us: the next round sees the new state
            log.info("ETA refresh of courier %s skipped: %s", courier_id, exc.code)
            continue
        if behind:
            replan_soon(courier_id=courier_id, trigger="falling behind")
            asked += 1
    return asked
