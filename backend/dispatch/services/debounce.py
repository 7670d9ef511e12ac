"""Debounced re-planning: many triggers for one courier within a few seconds give one run.

A :class:`~backend.dispatch.models.ReplanState` row per courier is the debounce (a database row,
not a cache key: the web process, the worker and eager mode all see the same row, and it is
locked like any other row). The first trigger of a window sets ``due_at`` to ``now + DEBOUNCE_S``
less a random part of it (up to ``WINDOW_SPREAD``), bumps ``generation`` and, after commit,
schedules one ``dispatch.replan_courier`` task for ``due_at`` carrying that generation. Triggers before ``due_at`` only add their name. The task
claims the window (clears ``due_at``) under the row lock, so a duplicate delivery of the same
task, or a task of an older generation, finds nothing to claim and does nothing. A trigger that
arrives while a run is computing opens the next window: no change is ever dropped.

An *urgent* trigger (a customer's answer: the courier must see the new window or place within a
second, docs/negotiation.md) is due at once, unless the courier was re-planned less than
``URGENT_GAP_S`` ago: then at that gap's end. It pulls an open window forward (a new generation;
the older task finds nothing to claim), so a thousand answers still give at most one run per
courier per gap.

A trigger whose window is already open and already lists its name would only be recorded as
COALESCED, so the committing process skips it (``windows_covering``, registered with shipments'
follow-ups: one read for all of a commit's triggers); any other trigger it passes to
``replan_soon`` itself, after its commit (the registered opener). Under a steady stream of
changes the worker gets only the windows' runs. Skipping is safe because the window's run claims
it *after* the check read it open, and re-plans from rows committed before that claim. A window more than
``OVERDUE_S`` past its due time lost its run (a scheduled message that never arrived): it covers
nothing, and the next trigger opens a new window instead of joining it.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from celery import signature
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from backend.common import pgbulk
from backend.common.env import env_int
from backend.common.errors import DomainError
from backend.common.transient import is_transient
from backend.couriers.models import Courier
from backend.dispatch.models import ReplanState

log = logging.getLogger(__name__)

# Long enough to coalesce a burst (a bulk reassignment, a courier syncing a backlog offline),
# short enough that the courier sees the new order before the next stop.
DEBOUNCE_S = env_int("REPLAN_DEBOUNCE_S", 20)
# The least time between two urgent runs of one courier: a re-plan costs ~0.4 s of worker CPU.
URGENT_GAP_S = env_int("REPLAN_URGENT_GAP_S", 5)
# Past its due time by this much, a window's run is taken as lost (a worker backlog this long
# would only cost one extra run: the late task finds another generation and skips).
OVERDUE_S = env_int("REPLAN_OVERDUE_S", 120)
MAX_TRIGGERS = 20  # names kept per window (the plan's record of why it ran)
# Couriers whose changes came together (a morning's assignment, a bulk reassignment, every
# reassignment's two couriers) would open their windows together, fall due together, and open the
# next ones together again: a wave of runs every window that takes the worker's core at once and
# the live sockets' with it (seen as a 20 s beat in the realtime bench's latency). Each window is
# shortened by a random part of up to a quarter, so the waves spread out, as the sockets' heartbeats
# start at a random point of their interval. A window still ends within DEBOUNCE_S.
WINDOW_SPREAD = 0.25


class Tick(StrEnum):
    SCHEDULED = "scheduled"  # this trigger opened a window; one run is scheduled for its end
    COALESCED = "coalesced"  # a run was already scheduled; this trigger joins it
    RAN = "ran"
    SKIPPED = "skipped"  # a stale or repeated task: its window was already claimed
    DEFERRED = "deferred"  # the run lost a deadlock beyond its retries: the next window is open


def _lock_state(courier_id: int) -> ReplanState:
    """The courier's row, locked. It exists after the courier's first trigger, so the lock is one
    statement; the first time it is created (INSERT … ON CONFLICT DO NOTHING, so two first
    triggers cannot both create it) and then locked. Every commit that reassigns a job asks for two
    couriers: an unconditional insert and a separate existence check were two of its statements."""
    state = ReplanState.objects.select_for_update().filter(courier_id=courier_id).first()
    if state is not None:
        return state
    if not Courier.objects.filter(pk=courier_id).exists():
        raise DomainError("not_found", f"courier {courier_id} not found")
    ReplanState.objects.bulk_create([ReplanState(courier_id=courier_id)], ignore_conflicts=True)
    return ReplanState.objects.select_for_update().get(courier_id=courier_id)


def replan_soon(*, courier_id: int, trigger: str, urgent: bool = False) -> Tick:
    """Ask for a re-plan of the courier within ``DEBOUNCE_S`` seconds (the re-plan hook); an
    ``urgent`` trigger as soon as ``URGENT_GAP_S`` after the courier's last run allows.

    Joins the caller's transaction; the task is only sent after it commits.
    """
    with transaction.atomic():
        state = _lock_state(courier_id)
        now = timezone.now()
        due = now + timedelta(seconds=DEBOUNCE_S)  # the longest this trigger may wait
        if urgent:
            gap_end = state.last_run_at + timedelta(seconds=URGENT_GAP_S) if state.last_run_at else now
            due = max(now, gap_end)
        triggers = list(state.triggers) if state.due_at is not None else []
        if trigger not in triggers:
            triggers = [*triggers, trigger][:MAX_TRIGGERS]
        if state.due_at is not None and _overdue(state.due_at, now):
            log.warning(
                "re-plan window of courier %s was due at %s and never ran: reopened", courier_id, state.due_at
            )
        elif state.due_at is not None and state.due_at <= due:
            if triggers != state.triggers:
                state.triggers = triggers
                state.save(update_fields=["triggers"])
            return Tick.COALESCED
        if not urgent:  # a new window: shortened by its random part (only here, so joining stays as it was)
            due -= timedelta(seconds=DEBOUNCE_S * WINDOW_SPREAD * random.random())
        state.due_at = due
        state.generation += 1
        state.triggers = triggers
        state.save(update_fields=["due_at", "generation", "triggers"])
        generation = state.generation
        # The task by name: tasks.py imports the services, never the reverse.
        run = signature("dispatch.replan_courier", args=(courier_id, trigger, generation))
        transaction.on_commit(lambda: run.apply_async(eta=due))
    return Tick.SCHEDULED


def _overdue(due_at: datetime, now: datetime) -> bool:
    return due_at < now - timedelta(seconds=OVERDUE_S)


def window_covers(courier_id: int, trigger: str) -> bool:
    """True when sending this (non-urgent) trigger would change nothing: the courier's window is
    open, not overdue, and lists the trigger's name (or is full). Read after the trigger's change
    committed: the window is unclaimed at this read, so its run re-plans with that change."""
    return (courier_id, trigger) in windows_covering([(courier_id, trigger)])


_WINDOWS = (
    f"SELECT courier_id, due_at, triggers FROM {ReplanState._meta.db_table} "
    "WHERE courier_id = ANY(%b::bigint[])"
)


def windows_covering(asks: Sequence[tuple[int, str]]) -> set[tuple[int, str]]:
    """The (courier, trigger) asks that ``window_covers``, in one read for all their couriers (a
    reassignment asks for two; a commit's asks are checked together, followups._WindowRead)."""
    ids = sorted({courier_id for courier_id, _ in asks})
    if not ids:
        return set()
    rows: list[tuple[Any, ...]]
    if connection.vendor == "postgresql":  # the statement without the ORM's compile: ~0.1 ms
        rows = pgbulk.execute(_WINDOWS, [ids])
    else:
        rows = list(
            ReplanState.objects.filter(courier_id__in=ids).values_list("courier_id", "due_at", "triggers")
        )
    now = timezone.now()
    open_windows: dict[int, list[str]] = {}
    for courier_id, due_at, triggers in rows:
        if due_at is None or _overdue(due_at, now):
            continue
        # Django's connection reads jsonb as text (its JSONField parses it); the ORM path as a list.
        names = json.loads(triggers) if isinstance(triggers, str) else triggers
        open_windows[courier_id] = names or []
    return {
        (courier_id, trigger)
        for courier_id, trigger in asks
        if (names := open_windows.get(courier_id)) is not None
        and (trigger in names or len(names) >= MAX_TRIGGERS)
    }


def replan_tick(*, courier_id: int, trigger: str, generation: int | None, urgent: bool = False) -> Tick:
    """What the task does: a plain trigger (no generation) opens or joins a window; the scheduled
    run (its generation) claims the window and re-plans once with every trigger it collected."""
    if generation is None:
        return replan_soon(courier_id=courier_id, trigger=trigger, urgent=urgent)
    with transaction.atomic():
        state = _lock_state(courier_id)
        if state.due_at is None or state.generation != generation:
            return Tick.SKIPPED
        triggers = state.triggers or [trigger]
        state.due_at, state.triggers, state.last_run_at = None, [], timezone.now()
        state.save(update_fields=["due_at", "triggers", "last_run_at"])
    from backend.dispatch.services.planning import courier_replan

    try:
        courier_replan(courier_id=courier_id, trigger=", ".join(triggers))
    except DomainError as exc:
        # version_conflict already asked for another run; not_found: the courier is gone.
        log.info("re-plan of courier %s not applied: %s", courier_id, exc.code)
    except OperationalError as exc:
        if not is_transient(exc):
            raise
        # The window is claimed, so a retry of this task would find nothing to do: open the next
        # window instead, with the same triggers, so the re-plan is not lost.
        log.warning("re-plan of courier %s deferred after %s", courier_id, exc)
        replan_soon(courier_id=courier_id, trigger=", ".join(triggers)[:200])
        return Tick.DEFERRED
    return Tick.RAN
