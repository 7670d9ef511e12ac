"""Celery tasks of dispatch. Each takes ids, re-fetches, calls one service, and is safe to run twice.

Schedule ``dispatch.watch_couriers`` every 5 minutes with Celery beat (docs/dispatch.md).

Every task here is acknowledged late (a worker killed mid-task leaves it to another: the services
are idempotent, a re-plan or an ETA refresh run twice writes the same thing) and retried with
back-off on a database ``OperationalError`` that outlived the service's own retries (a deadlock,
a serialization failure, a lost connection): an ETA refresh is never silently lost.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import OperationalError

from backend.common.errors import DomainError
from backend.dispatch.services.debounce import replan_tick
from backend.dispatch.services.watch import watch_couriers as watch_couriers_service

log = logging.getLogger(__name__)

# Shared by the dispatch tasks: late acks, and up to 5 retries 2, 4, 8, 16, 32 s (jittered) apart.
RETRYING: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="dispatch.replan_courier", ignore_result=True, **RETRYING)
def replan_courier(courier_id: int, trigger: str, generation: int | None = None, urgent: bool = False) -> str:
    """Without ``generation``: a trigger (debounced; ``urgent`` as soon as allowed). With it: the
    scheduled run of that window."""
    try:
        return str(replan_tick(courier_id=courier_id, trigger=trigger, generation=generation, urgent=urgent))
    except DomainError as exc:  # the courier was deleted meanwhile: nothing to plan
        log.info("replan_courier(%s): %s", courier_id, exc.code)
        return "skipped"


@shared_task(name="dispatch.watch_couriers", ignore_result=True, **RETRYING)
def watch_couriers() -> int:
    """Refresh on-duty couriers' ETAs; ask for a re-plan of those falling behind."""
    return watch_couriers_service()


@shared_task(name="dispatch.refresh_etas", ignore_result=True, **RETRYING)
def refresh_etas(courier_id: int) -> int:
    """For "a courier arrived at / completed a stop": new ETAs from the actual time, same order."""
    from backend.dispatch.services.planning import courier_refresh_etas

    try:
        written, _ = courier_refresh_etas(courier_id=courier_id)
    except DomainError as exc:
        log.info("refresh_etas(%s): %s", courier_id, exc.code)
        return 0
    return written
