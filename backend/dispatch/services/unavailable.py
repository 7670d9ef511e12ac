"""A courier becomes unavailable: redistribute all their remaining jobs, previewed first.

The preview writes nothing. It takes the courier's remaining jobs (assigned, accepted, started),
tightest window first, and offers each to the other on-duty couriers of the station by cheapest
feasible insertion, updating the receiving route after each move; a job nobody can take goes to
the queue. A job the courier is standing at (arrived) stays with them, as does a started job
nobody can take (a started job cannot go back to the queue).

Apply recomputes the preview under the supervisor's expected versions: a job that changed, was
added or left since is a ``reassign_conflict``; if the other routes changed so the proposal is no
longer the one previewed, the ``preview_token`` no longer matches (``preview_stale``) and
nothing is written. Otherwise the courier is set ``unavailable`` (no new automatic work), each
move to a courier goes through the one reassignment service (``job_reassign``: its checks, its
audit row with rule ``courier_unavailable``, its re-plans), each job nobody can take is
unassigned (``job_unassign``) with an audit row and an alert, the receiving routes are written
in the previewed order, and re-plans are asked for.

Apply locks the courier's day and every other on-duty courier's day before it previews again: the
proposal depends on all of those routes, and ``job_reassign`` then finds the routes it rewrites
already held, so it never waits for a lock while holding others (the order ``lock_routes`` keeps).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from backend.common.errors import DomainError
from backend.common.transient import retry_transient
from backend.couriers.models import DutyStatus
from backend.couriers.selectors import station_today
from backend.couriers.services import courier_set_duty
from backend.dispatch.models import AlertKind, DecisionKind, DecisionRule
from backend.dispatch.planning.insertion import RouteState, cheapest_insertion, route_state
from backend.dispatch.planning.model import OPEN_END, Stop
from backend.dispatch.planning.schedule import onboard_load
from backend.dispatch.services.assignment import QUEUED, on_duty_couriers
from backend.dispatch.services.audit import alert_raise, decision_record, km_min
from backend.dispatch.services.debounce import replan_soon
from backend.dispatch.services.planning import courier_get, load_day, lock_routes, route_of, write_order
from backend.dispatch.services.reassignment import (
    JobVersion,
    clean_reason,
    job_conflict,
    job_reassign,
    raise_conflicts,
)
from backend.dispatch.services.routes import MATRIX, REMAINING, CourierDay, build_days, stop_id
from backend.shipments import feed
from backend.shipments.context import Ctx
from backend.shipments.services import job_unassign
from backend.shipments.services.recording import require_station_staff
from backend.shipments.states import JobStatus

_OPEN = Stop(id="", kind="delivery", x=0, y=0, tw_end=OPEN_END)  # sort key for a job without a stop


@dataclass(frozen=True)
class Move:
    job_id: int
    version: int
    to_courier_id: int | None
    reason: str
    added_m: int | None = None
    added_s: int | None = None


@dataclass(frozen=True)
class Preview:
    courier_id: int
    moves: tuple[Move, ...]
    kept: tuple[int, ...]  # stay with the courier (arrived, or started and nobody can take them)
    token: str
    routes: dict[int, list[str]] = field(default_factory=dict)  # receiving courier → new order
    # The ETA of every job on a receiving route as proposed (moved ones and those they delay).
    etas: dict[int, datetime] = field(default_factory=dict)


def _token(courier_id: int, moves: Sequence[Move], kept: Sequence[int]) -> str:
    body = json.dumps([courier_id, [[m.job_id, m.version, m.to_courier_id] for m in moves], list(kept)])
    return hashlib.sha256(body.encode()).hexdigest()[:20]


def courier_unavailable_preview(*, courier_id: int, ctx: Ctx, now: datetime | None = None) -> Preview:
    """Where each remaining job of the courier would go (no writes)."""
    courier = courier_get(courier_id)
    require_station_staff(ctx, courier.station_id)
    now = now or timezone.now()
    today = station_today(courier.station, now)
    mine = load_day(courier, today, now)
    days = {
        d.courier.pk: d
        for d in build_days(
            on_duty_couriers(courier.station_id, exclude=courier.pk), courier.station, today, now
        )
    }
    routes = {cid: list(d.remaining) for cid, d in days.items()}
    states: dict[int, RouteState] = {cid: _state(d, routes[cid]) for cid, d in days.items()}
    movable = [j for j in mine.jobs.values() if j.status in REMAINING]
    movable.sort(
        key=lambda j: (
            mine.stops.get(stop_id(j.pk), _OPEN).tw_end,
            j.planned_seq is None,
            j.planned_seq or 0,
            j.pk,
        )
    )
    moves: list[Move] = []
    kept = [j.pk for j in mine.jobs.values() if j.status == JobStatus.ARRIVED]
    for job in movable:
        stop = mine.stops.get(stop_id(job.pk))
        ins = cheapest_insertion(stop, list(states.values()), MATRIX) if stop and states else None
        if ins is not None and stop is not None:
            cid = int(ins.vehicle_id)
            days[cid].stops[stop.id], days[cid].jobs[stop.id] = stop, job
            routes[cid].insert(ins.position, stop.id)
            states[cid] = _state(days[cid], routes[cid])
            reason = f"cheapest feasible insertion, {km_min(ins.added_distance, ins.added_duration)}"
            moves.append(Move(job.pk, job.version, cid, reason, ins.added_distance, ins.added_duration))
        elif job.status == JobStatus.STARTED:
            kept.append(job.pk)
        else:
            why = "no coordinates" if stop is None else "no route can meet its window, capacity or shift end"
            moves.append(Move(job.pk, job.version, None, f"{QUEUED} ({why})"))
    kept.sort()
    touched = sorted({m.to_courier_id for m in moves if m.to_courier_id is not None})
    return Preview(
        courier.pk,
        tuple(moves),
        tuple(kept),
        _token(courier.pk, moves, kept),
        {cid: routes[cid] for cid in touched},
        {jid: eta for cid in touched for jid, eta in _etas(days[cid], routes[cid]).items()},
    )


def _etas(day: CourierDay, order: list[str]) -> dict[int, datetime]:
    return {day.jobs[v.stop_id].pk: day.clock.at(v.arrival) for v in route_of(day, order).visits}


def _state(day: CourierDay, order: list[str]) -> RouteState:
    return route_state(
        day.vehicle, [day.stops[s] for s in order], MATRIX, onboard_load(day.vehicle, day.stops)
    )


@retry_transient
def courier_unavailable_apply(
    *,
    courier_id: int,
    reason: str,
    jobs: Sequence[JobVersion],
    ctx: Ctx,
    preview_token: str | None = None,
    now: datetime | None = None,
) -> Preview:
    """Apply the redistribution the supervisor previewed (see the module docstring)."""
    reason = clean_reason(reason)
    now = now or timezone.now()
    with transaction.atomic(), feed.batch_joined():
        expected = {jv.job_id: jv.version for jv in jobs}
        # Lock first, then preview: the proposal is computed from rows nobody can change under us.
        courier = courier_get(courier_id)
        require_station_staff(ctx, courier.station_id)  # before locking anything of the station
        today = station_today(courier.station, now)
        others = on_duty_couriers(courier.station_id, exclude=courier_id)
        locked = lock_routes(job_ids=expected, routes=[(courier_id, today), *((c.pk, today) for c in others)])
        preview = courier_unavailable_preview(courier_id=courier_id, ctx=ctx, now=now)
        previewed = {m.job_id: m.version for m in preview.moves}
        conflicts = [c for jid, v in expected.items() if (c := job_conflict(locked.get(jid), jid, v, None))]
        conflicts += [
            {
                "job_id": jid,
                "code": "version_conflict",
                "current_version": locked[jid].version,
                "message": f"job {jid} is no longer on this courier's list",
            }
            for jid in expected
            if jid in locked
            and jid not in previewed
            and jid not in preview.kept
            and not any(c["job_id"] == jid for c in conflicts)
        ]
        conflicts += [
            {
                "job_id": jid,
                "code": "version_conflict",
                "current_version": v,
                "message": f"job {jid} was given to this courier after you loaded the list",
            }
            for jid, v in sorted(previewed.items())
            if jid not in expected
        ]
        raise_conflicts(conflicts, len(set(expected) | set(previewed)))
        if preview_token is not None and preview_token != preview.token:
            raise DomainError(
                "preview_stale",
                "the other couriers' routes changed since the preview; preview again",
                token=preview.token,
            )
        courier = courier_set_duty(courier_id=courier_id, duty_status=DutyStatus.UNAVAILABLE)
        for m in preview.moves:
            _apply_move(
                m,
                locked[m.job_id].courier_id,
                f"{reason} — {courier.employee_no} unavailable; {m.reason}",
                ctx,
                now,
            )
        for cid, order in preview.routes.items():
            day = load_day(courier_get(cid), station_today(courier.station, now), now)
            present = [s for s in order if s in day.stops and not day.stops[s].done]
            write_order(day, present + [s for s in day.remaining if s not in set(present)], ctx)
            replan_soon(courier_id=cid, trigger=f"courier {courier.employee_no} unavailable")
    return replace(preview, routes={})


def _apply_move(m: Move, prev: int | None, reason: str, ctx: Ctx, now: datetime) -> None:
    # Versions were checked above under the locks, all of them held since; each move is one
    # person's decision already checked, so none is checked again here.
    if m.to_courier_id is not None:
        job_reassign(
            job_id=m.job_id,
            to_courier_id=m.to_courier_id,
            reason=reason,
            ctx=ctx,
            now=now,
            rule=DecisionRule.COURIER_UNAVAILABLE,
            added=(m.added_m, m.added_s),
        )
        return
    job = job_unassign(job_id=m.job_id, ctx=ctx, reason=reason)
    alert_raise(job=job, kind=AlertKind.UNASSIGNABLE, message=m.reason)
    decision_record(
        job=job,
        courier_id=None,
        prev_courier_id=prev,
        kind=DecisionKind.SUPERVISOR,
        rule=DecisionRule.QUEUED,
        reason=reason,
        ctx=ctx,
    )
