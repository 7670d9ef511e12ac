"""Background work a lifecycle change asks for, sent to Celery only after the change commits.

Dispatch re-plans the affected courier when something on their route changes (a failed attempt,
a job gained or lost) and refreshes ETAs when they progress. The tasks debounce per courier and
are safe to run twice (backend/dispatch/tasks.py). Without a broker (eager mode: a laptop, most
tests) nothing is sent: a re-plan runs PyVRP, which has no place inside a request; the periodic
``dispatch.watch_couriers`` check and the plan API cover that set-up.

ETA refreshes are coalesced per courier (``eta_refresh_countdown``): a courier's first progress in
a window refreshes at once, the rest of that window's progress shares one refresh at its end. A
courier syncing a backlog, or pushing each step as it happens, would otherwise queue one full
reload of their day per push.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from celery import current_app, signature
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, transaction

from backend.common.env import env_int
from backend.shipments.services.unit import current

log = logging.getLogger(__name__)

# The ETA refresh window per courier (s); 0 sends a refresh for every progress, as before.
ETA_REFRESH_WINDOW_S = env_int("ETA_REFRESH_WINDOW_S", 2)
# The trailing refresh runs this long after its window closes: a change skipped inside the window
# committed before the skip, so it is read even if the worker's clock runs up to 1 s ahead.
_TRAILING_MARGIN_S = 1


def eta_refresh_countdown(courier_id: int, window_s: int | None = None) -> int | None:
    """When to refresh this courier's ETAs after a change that just committed: 0 (at once: the
    first in the window), ``window + 1`` s (the window's one trailing refresh), or None (a trailing
    refresh is already queued to run after this change).

    Two cache keys per courier, each added only when absent (an atomic SET NX in Redis): the lead
    key says "a refresh ran at the start of this window", the trail key "a refresh is queued at
    its end". A change is skipped only while the trail key exists, that is, while a refresh is
    queued for after it. With an unreachable cache every change sends: a refresh run twice writes
    the same ETAs.
    """
    window = ETA_REFRESH_WINDOW_S if window_s is None else window_s
    if window <= 0:
        return 0
    try:
        if cache.add(f"parcelrun:etas-lead:{courier_id}", 1, timeout=window):
            return 0
        if cache.add(f"parcelrun:etas-trail:{courier_id}", 1, timeout=window):
            return window + _TRAILING_MARGIN_S
    except Exception:  # the cache is down: a refresh too many, never one too few
        log.warning("ETA refresh window of courier %s not read; refresh sent", courier_id, exc_info=True)
        return 0
    return None


# Dispatch's two re-plan hooks, registered when it loads (DispatchConfig.ready): dispatch sits
# above shipments, so it is never imported here. The check: "these couriers' open windows already
# hold these triggers" (debounce.windows_covering: one read for every ask of a commit). The opener:
# open or join the courier's window here, after the commit (debounce.replan_soon), so only the
# window's run goes through the broker, not every trigger on its way to the window. None: every
# trigger is sent to the worker, which opens the window there.
Ask = tuple[int, str]  # (courier id, trigger name)
_replan_covered: Callable[[Sequence[Ask]], set[Ask]] | None = None
_replan_open: Callable[[int, str, bool], object] | None = None


def register_replan_check(check: Callable[[Sequence[Ask]], set[Ask]] | None) -> None:
    global _replan_covered
    _replan_covered = check


def register_replan_opener(opener: Callable[[int, str, bool], object] | None) -> None:
    global _replan_open
    _replan_open = opener


def _covered(asks: Sequence[Ask]) -> set[Ask]:
    if _replan_covered is None or not asks:
        return set()
    try:
        return _replan_covered(asks)
    except DatabaseError:  # when in doubt, send: the task coalesces it anyway
        couriers = sorted({c for c, _ in asks})
        log.warning("re-plan windows of couriers %s not read; triggers sent", couriers, exc_info=True)
        return set()


def _enabled() -> bool:
    return not settings.CELERY_TASK_ALWAYS_EAGER


class _WindowRead:
    """One read of the re-plan windows for every ask of a transaction, made when its first ask is
    sent after commit. The window check was a query per ask, two for every reassignment
    (measured: 1.3 ms of a 5.6 ms ``job_assign``).

    Asks join the read until it is made; an ask of an op undone by a savepoint rollback stays in
    it (its callback is dropped; reading its courier's window too costs nothing)."""

    def __init__(self) -> None:
        self.asks: list[Ask] = []
        self.covered: set[Ask] | None = None

    def covers(self, ask: Ask) -> bool:
        if self.covered is None:
            self.covered = _covered(self.asks)
        return ask in self.covered


@dataclass(frozen=True)
class _Replan:
    """A re-plan ask, sent after commit unless the courier's open window already holds it.

    One per courier per unit of work: a 100-op push of one courier asks once. Equal asks are
    recognised among the transaction's pending on-commit callbacks; Django drops those of a
    rolled-back savepoint, so an ask of an op that was undone is made again by the next op that
    needs it. Outside a unit every service call asks for its own.
    """

    courier_id: int
    trigger: str = field(compare=False)
    urgent: bool  # a customer's answer: re-planned at once, not after the debounce
    read: _WindowRead = field(compare=False, repr=False)

    def __call__(self) -> None:
        if not self.urgent and self.read.covers((self.courier_id, self.trigger)):
            return  # its window's run will see this change (debounce.windows_covering)
        if _replan_open is not None:
            try:
                _replan_open(self.courier_id, self.trigger, self.urgent)
                return
            except Exception:  # after the commit nothing may fail the caller: the worker opens it
                log.warning(
                    "re-plan window of courier %s not opened here; trigger sent",
                    self.courier_id,
                    exc_info=True,
                )
        # By name: dispatch sits above shipments and imports it, never the reverse
        # (docs/architecture.md, layers). A signature resolves to the registered task when the
        # process has it (dispatch's AppConfig imports its tasks), so this is ``task.delay(...)``.
        # An urgent ask passes (generation, urgent); a plain one leaves the task's defaults.
        extra = (None, True) if self.urgent else ()
        signature("dispatch.replan_courier", args=(self.courier_id, self.trigger, *extra)).delay()


@dataclass(frozen=True)
class _EtaRefresh:
    """One ETA refresh per courier per unit of work: a 100-op push of one courier asks once.

    Equal follow-ups are recognised among the transaction's pending on-commit callbacks; Django
    drops those of a rolled-back savepoint, so a follow-up of an op that was undone is asked again
    by the next op that needs it. Outside a unit every service call asks for its own.
    """

    courier_id: int

    def __call__(self) -> None:
        countdown = eta_refresh_countdown(self.courier_id)
        if countdown is None:
            return  # the refresh already queued for this courier's window reads this change
        refresh = signature("dispatch.refresh_etas", args=(self.courier_id,))
        if countdown:
            refresh.apply_async(countdown=countdown)
        else:
            refresh.delay()


def _asked_in_unit(followup: _Replan | _EtaRefresh) -> bool:
    """Inside a unit of work, an equal follow-up is already among the transaction's pending
    on-commit callbacks (outside a unit every service call asks for its own)."""
    if current() is None:
        return False
    return any(f == followup for _, f, _ in transaction.get_connection().run_on_commit)


def replan_after_commit(courier_id: int | None, trigger: str, *, urgent: bool = False) -> None:
    """Ask dispatch to re-plan the courier once this transaction commits (one per courier per unit
    of work); ``urgent`` skips the debounce (docs/dispatch.md, "Re-planning")."""
    if courier_id is None or not _enabled():
        return
    connection = transaction.get_connection()
    pending = [f for _, f, _ in connection.run_on_commit if isinstance(f, _Replan)]
    # The transaction's window read, while it has not been made (a test's captured callbacks stay
    # in the list after they ran).
    read = next((f.read for f in reversed(pending) if f.read.covered is None), None) or _WindowRead()
    ask = _Replan(courier_id, trigger, urgent, read)
    if _asked_in_unit(ask):
        return
    if not urgent:
        read.asks.append((courier_id, trigger))
    transaction.on_commit(ask)  # outside a transaction: sent at once


def negotiate_after_commit(job_id: int, attempt_number: int) -> None:
    """Ask the negotiation app to offer the customer options after a failed delivery attempt.

    Sent by task name: the negotiation app sits above shipments and is not imported here.
    """
    if _enabled():
        transaction.on_commit(
            lambda: current_app.send_task(
                "negotiation.offer_after_failed_attempt", args=[job_id, attempt_number]
            )
        )


def refresh_etas_after_commit(courier_id: int | None) -> None:
    """Ask dispatch to refresh the courier's ETAs once this transaction commits."""
    if courier_id is None or not _enabled():
        return
    followup = _EtaRefresh(courier_id)
    if not _asked_in_unit(followup):
        transaction.on_commit(followup)
