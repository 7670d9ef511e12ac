"""Applying a pushed batch of ops: ``apply_ops``. See docs/sync-protocol.md.

One push is one database transaction that holds, for each op, a savepoint around its effect and
its op-log row (so a crash can never keep one without the other), and ends with the batch's
change-feed rows as one block of cursors. A bad op is rejected on its own and never stops the rest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any

from django.db import DataError, IntegrityError, OperationalError, transaction
from django.utils import timezone
from psycopg.errors import CheckViolation, NotNullViolation

from backend.accounts.roles import Principal, Role
from backend.common.errors import DomainError
from backend.common.metrics import count_sync_results
from backend.common.transient import TRANSIENT_SQLSTATES
from backend.shipments import feed
from backend.shipments.services.scans_bulk import RecordedMeanwhile, ScanInput, scans_record_bulk
from backend.shipments.services.unit import UnitOfWork, unit_of_work
from backend.sync import handlers, oplog
from backend.sync.models import DeviceState, Outcome
from backend.sync.ops import MAX_OPS, BadOp, Op, parse_op, same_op
from backend.sync.seqgaps import record_seqs

_MAX_OFFSET_S = 2**31 - 1  # DeviceState.clock_offset_s is a PostgreSQL integer

log = logging.getLogger(__name__)

RETRIES = 3
_RETRYABLE_SQLSTATES = TRANSIENT_SQLSTATES  # deadlock detected, serialization failure


# The ops whose conflicts are judged by event time (services/offline.py), and how many pushes'
# marks a device keeps for it: enough for a day offline drained in batches of 100.
CLOCK_JUDGED = frozenset({"deliver", "fail"})
SEQ_MARKS_KEPT = 100


@dataclass
class PushResult:
    results: list[dict[str, Any]]
    max_seq: int
    gaps: list[list[int]]
    clock_offset_s: int | None = None


@dataclass
class _Batch:
    principal: Principal
    device: DeviceState
    results: list[dict[str, Any] | None]
    stored: dict[str, oplog.Result] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)  # every well-formed op of the push

    def applied(self, op: Op, extra: dict[str, Any]) -> None:
        self.results[op.index] = {"op_id": op.op_id, "outcome": Outcome.APPLIED, **extra}
        if extra:
            self.stored[op.op_id] = (Outcome.APPLIED, "", extra)

    def forget(self, op: Op) -> None:
        """Drop what was decided for ``op`` (its unit was undone; it is applied again)."""
        self.results[op.index] = None
        self.stored.pop(op.op_id, None)
        if op.op_id in self.released:
            self.released.remove(op.op_id)

    def not_before(self, op: Op) -> datetime | None:
        """The latest event time among ops this device recorded before ``op`` (lower seq): in this
        push, or in earlier pushes (``DeviceState.seq_marks``)."""
        times = [o.event_at for o in self.ops if o.seq < op.seq]
        times += [datetime.fromisoformat(at) for seq, at in self.device.seq_marks if seq < op.seq]
        return max(times, default=None)

    def rejected(self, op: Op, exc: DomainError) -> None:
        body = {"code": exc.code, "message": exc.message, "details": exc.details}
        self.results[op.index] = {"op_id": op.op_id, "outcome": Outcome.REJECTED, **body}
        self.stored[op.op_id] = (Outcome.REJECTED, exc.code, body)


def apply_ops(
    *, principal: Principal, device_id: str, raw_ops: Any, sent_at: datetime | None = None
) -> PushResult:
    """Apply a device's batch in order; one result per op, in the same order as the ops."""
    if principal.role is Role.NONE or principal.user_id is None:
        raise DomainError("wrong_role", "only couriers and station staff push ops")
    if not isinstance(raw_ops, list) or not raw_ops:
        raise DomainError("invalid", "ops must be a non-empty list")
    if len(raw_ops) > MAX_OPS:
        raise DomainError("payload_too_large", f"at most {MAX_OPS} ops per push", max_ops=MAX_OPS)
    parsed = [parse_op(i, raw, device_id) for i, raw in enumerate(raw_ops)]
    look_up_all = False
    for attempt in range(RETRIES):
        try:
            result = _apply(principal, device_id, parsed, sent_at, look_up_all)
            break
        except RecordedMeanwhile:
            # One of our scans' op ids was recorded by a concurrent push after we looked (the device
            # lock makes that rare: the same op id from two devices). Nothing was applied: look every
            # op up this time, so those come back as duplicates.
            if attempt == RETRIES - 1:
                raise
            look_up_all = True
        except OperationalError as exc:
            # A deadlock with another writer (e.g. a station scanning the parcels a courier is
            # delivering) rolls back the whole push; nothing was applied, so run it again.
            if getattr(exc.__cause__, "sqlstate", None) not in _RETRYABLE_SQLSTATES or attempt == RETRIES - 1:
                raise
            log.warning("push from %s retried after %s", device_id, exc)
    count_sync_results(result.results)
    return result


def _apply(
    principal: Principal,
    device_id: str,
    parsed: list[Op | BadOp],
    sent_at: datetime | None,
    look_up_all: bool = False,
) -> PushResult:
    results: list[dict[str, Any] | None] = [None] * len(parsed)
    ops: list[Op] = []
    for p in parsed:
        if isinstance(p, BadOp):
            results[p.index] = {
                "op_id": p.op_id,
                "outcome": Outcome.REJECTED,
                "code": p.code,
                "message": p.message,
                "details": {"index": p.index},
            }
        else:
            ops.append(p)
    now = timezone.now()
    assert principal.user_id is not None
    with transaction.atomic():
        device, _ = DeviceState.objects.select_for_update().get_or_create(
            user_id=principal.user_id, device_id=device_id
        )
        batch = _Batch(principal, device, results, ops=ops)
        with feed.batch():
            first: dict[str, Op] = {}
            repeats: list[Op] = []
            for op in ops:
                if op.op_id in first:
                    repeats.append(op)
                else:
                    first[op.op_id] = op
            claimed, seen = oplog.claim(
                list(first.values()),
                user_id=principal.user_id,
                device_id=device_id,
                now=now,
                max_seq=2**63 if look_up_all else device.max_seq,
            )
            fresh = [op for op in first.values() if op.op_id in claimed]
            for op in first.values():
                if op.op_id in seen:
                    s = seen[op.op_id]
                    results[op.index] = _replayed(op, s.payload_hash, s.outcome, s.result)
            for how, run in groupby(fresh, key=_how):
                if how == "scans":
                    _apply_scans(batch, list(run))
                elif how == "unit":
                    _apply_unit(batch, list(run))
                else:
                    for op in run:
                        _apply_one(batch, op)
            for op in repeats:  # the same op id twice in one push: the second is a duplicate of the first
                r = results[first[op.op_id].index] or {}
                original = "rejected" if r.get("outcome") == Outcome.REJECTED else r.get("outcome", "applied")
                results[op.index] = _replayed(op, first[op.op_id].payload_hash, original, r)
            oplog.store(
                batch.stored,
                facts=[op for op in fresh if op.kind in oplog.FACT_KINDS],
                user_id=principal.user_id,
                device_id=device_id,
                now=now,
            )
            oplog.release(batch.released)
            device.max_seq, device.gaps = record_seqs(
                device.max_seq, device.gaps, [p.seq for p in parsed if p.seq is not None]
            )
            device.last_push_at = now
            if ops:
                mark = [max(op.seq for op in ops), max(op.event_at for op in ops).isoformat()]
                device.seq_marks = [*device.seq_marks, mark][-SEQ_MARKS_KEPT:]
            if sent_at is not None:
                # Separates a wrong clock from a late upload: offline ops are old, a skewed clock is off now.
                # Capped to the integer column: a clock set to 2100 is as wrong as one a century
                # off, and the uncapped offset failed the whole push (found by schemathesis).
                offset = round((sent_at - now).total_seconds())
                device.clock_offset_s = max(-_MAX_OFFSET_S, min(_MAX_OFFSET_S, offset))
            device.save()
    return PushResult([r or {} for r in results], device.max_seq, device.gaps, device.clock_offset_s)


def _replayed(op: Op, stored_hash: str, outcome: str, result: dict[str, Any]) -> dict[str, Any]:
    if not same_op(stored_hash, op):
        return {
            "op_id": op.op_id,
            "outcome": Outcome.REJECTED,
            "code": "op_id_reused",
            "message": "this op id was already used for a different operation; record it again",
            "details": {},
        }
    body = {k: v for k, v in result.items() if k not in ("op_id", "outcome")}
    return {"op_id": op.op_id, "outcome": "duplicate", "original": outcome, **body}


def _how(op: Op) -> str:
    if op.kind == "scan":
        return "scans"
    return "unit" if op.kind in handlers.UNIT_KINDS else "one"


def _apply_unit(batch: _Batch, run: list[Op]) -> None:
    """A run of job steps through one unit of work: the same services, their writes set-based.

    A write the database refuses at the end (a value too long for its column…) cannot be pinned on
    one op, so the run is undone and applied again op by op, where that op is rejected on its own.
    """
    mark = feed.pending_mark()
    try:
        with transaction.atomic(), unit_of_work() as unit:
            unit.preload([j for op in run if handlers.is_wire_int(j := op.payload.get("job_id"))])
            for op in run:
                _apply_one(batch, op, unit)
    except (DataError, IntegrityError):
        log.warning("a unit of %d ops was refused at flush; applying them one by one", len(run))
        feed.drop_pending(mark)
        for op in run:
            batch.forget(op)
        for op in run:
            _apply_one(batch, op)


def _apply_one(batch: _Batch, op: Op, unit: UnitOfWork | None = None) -> None:
    if op.kind == "location":  # touches no row (the fix is kept on the locked DeviceState): no savepoint
        try:
            batch.applied(op, handlers.location(op, handlers.ctx_for(op, batch.principal), batch.device))
        except DomainError as exc:
            batch.rejected(op, exc)
        return
    mark = feed.pending_mark()
    if unit is not None:
        unit.mark()
    try:
        ctx = handlers.ctx_for(op, batch.principal)
        if op.kind in CLOCK_JUDGED:
            ctx.extra["not_before"] = batch.not_before(op)
        if op.kind in handlers.ONE_SERVICE:  # the service's own atomic block is the op's savepoint
            extra = handlers.HANDLERS[op.kind](op, ctx)
        else:
            with transaction.atomic():  # the op's own savepoint: the service and the rows the handler adds
                extra = handlers.HANDLERS[op.kind](op, ctx)
        batch.applied(op, extra)
    except DomainError as exc:
        _undo(mark, unit)
        batch.rejected(op, _conflict_code(exc))
    except OperationalError:
        raise
    except Exception as exc:
        _undo(mark, unit)
        if isinstance(exc, DataError) or (isinstance(exc, IntegrityError) and _refused_value(exc)):
            # A value the database cannot hold (a name longer than its column, a price below a
            # CHECK): the device's input, not ours, and retrying cannot help. The database's own
            # words stay in the log: they name columns and types, no business of the device.
            log.info("op %s (%s) refused by the database: %s", op.op_id, op.kind, exc)
            batch.rejected(op, DomainError("malformed_op", "a value in this op is too long or out of range"))
            return
        # A bug of ours (or a race on a unique row), not the device's: roll the op back, give its
        # id back, tell the device to retry.
        log.exception("op %s (%s) failed", op.op_id, op.kind)
        batch.released.append(op.op_id)
        batch.results[op.index] = {
            "op_id": op.op_id,
            "outcome": "retry",
            "code": "server_error",
            "message": "the server could not apply this op; it will be retried",
        }


def _refused_value(exc: IntegrityError) -> bool:
    """A CHECK or NOT NULL violation: the op's own value was refused, retrying cannot help."""
    return isinstance(exc.__cause__, (CheckViolation, NotNullViolation))


def _undo(feed_mark: int, unit: UnitOfWork | None) -> None:
    feed.drop_pending(feed_mark)
    if unit is not None:
        unit.rollback()


def _conflict_code(exc: DomainError) -> DomainError:
    """Two devices acting on the same job: the step the second asks for was already taken."""
    d = exc.details
    if (
        exc.code == "invalid_transition"
        and d.get("entity") == "job"
        and d.get("current") == d.get("requested")
    ):
        return DomainError(
            "already_done", f"this job is already {d.get('current')} (recorded from another device)", **d
        )
    return exc


def _apply_scans(batch: _Batch, run: list[Op]) -> None:
    inputs: list[ScanInput] = []
    valid: list[Op] = []
    for op in run:
        p = op.payload
        try:
            lat, lng, accuracy_m = handlers.coords(p)
            if not isinstance(p.get("tracking_no"), str) or not isinstance(p.get("scan_kind"), str):
                raise handlers.malformed("a scan needs payload.tracking_no and payload.scan_kind (strings)")
        except DomainError as exc:
            batch.rejected(op, exc)
            continue
        valid.append(op)
        inputs.append(
            ScanInput(
                key=op.op_id,
                tracking_no=p["tracking_no"],
                scan_kind=p["scan_kind"],
                event_at=op.event_at,
                lat=lat,
                lng=lng,
                accuracy_m=accuracy_m,
                op_hash=op.payload_hash,
            )
        )
    if not inputs:
        return
    outcomes = scans_record_bulk(
        scans=inputs, actor=batch.principal, device_id=batch.device.device_id, checked=True
    )
    for op, out in zip(valid, outcomes, strict=True):
        if out.code:
            batch.rejected(op, DomainError(out.code, out.message))
        else:
            batch.applied(op, {"status_unchanged": True} if out.status_unchanged else {})
