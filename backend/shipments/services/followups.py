"""Background work a lifecycle change asks for, sent to Celery only after the change commits.

Dispatch re-plans the affected courier when something on their route changes (a failed attempt,
a job gained or lost) and refreshes ETAs when they progress. The tasks debounce per courier and
are safe to run twice (backend/dispatch/tasks.py). Without a broker (eager mode: a laptop, most
tests) nothing is sent: a re-plan runs PyVRP, which has no place inside a request; the periodic
``dispatch.watch_couriers`` check and the plan API cover that set-up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction


def _enabled() -> bool:
    return not settings.CELERY_TASK_ALWAYS_EAGER


def replan_after_commit(courier_id: int | None, trigger: str) -> None:
    if courier_id is None or not _enabled():
        return
    from backend.dispatch.tasks import replan_courier  # dispatch imports the services, not the reverse

    transaction.on_commit(lambda: replan_courier.delay(courier_id, trigger))


def refresh_etas_after_commit(courier_id: int | None) -> None:
    if courier_id is None or not _enabled():
        return
    from backend.dispatch.tasks import refresh_etas

    transaction.on_commit(lambda: refresh_etas.delay(courier_id))
