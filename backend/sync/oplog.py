"""The op log (AppliedOp): claiming op ids and storing what each device was told.

Claiming is an ``INSERT … ON CONFLICT (op_id) DO NOTHING RETURNING op_id`` in op-id order inside
the push's transaction. A concurrent push of the same op (a proxy duplicate, a retry racing the
original) waits on the unique index until the first transaction ends, then finds the row: it is a
duplicate, and never applies the op a second time. The claimed rows say "applied" up front (the
common case); rejections and results with extras are written over them before commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from backend.common import pgbulk
from backend.sync.models import AppliedOp, Outcome
from backend.sync.ops import Op


@dataclass(frozen=True)
class Stored:
    payload_hash: str
    outcome: str
    code: str
    result: dict[str, Any]


_TABLE = AppliedOp._meta.db_table
_COLS = "op_id, user_id, device_id, seq, kind, payload_hash, outcome, code, result, event_at, received_at"
_CLAIM = (
    f"INSERT INTO {_TABLE} ({_COLS}) "
    "SELECT u.op_id, %b, %b, u.seq, u.kind, u.hash, 'applied', '', '{}'::jsonb, u.event_at, %b "
    "FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::text[], %b::timestamptz[]) "
    "AS u(op_id, seq, kind, hash, event_at) ON CONFLICT (op_id) DO NOTHING RETURNING op_id"
)
_STORE = (
    f"UPDATE {_TABLE} AS a SET outcome = u.outcome, code = u.code, result = u.result "
    "FROM unnest(%b::uuid[], %b::text[], %b::text[], %b::jsonb[]) AS u(op_id, outcome, code, result) "
    "WHERE a.op_id = u.op_id"
)


def claim(ops: list[Op], *, user_id: int, device_id: str, now: datetime) -> tuple[set[uuid.UUID], dict[uuid.UUID, Stored]]:
    """Claim the op ids not seen before; return (claimed, stored results of the others)."""
    ordered = sorted(ops, key=lambda o: o.op_id)  # one lock order for every push: no deadlock between two
    if connection.vendor == "postgresql":
        rows = pgbulk.execute(_CLAIM, [user_id, device_id, now, [o.op_id for o in ordered], [o.seq for o in ordered],
                                       [o.kind for o in ordered], [o.payload_hash for o in ordered],
                                       [o.event_at for o in ordered]])
        claimed = {row[0] for row in rows}
    else:
        # SQLite: the push holds the database write lock (IMMEDIATE transactions), so look-then-insert is safe.
        seen = set(AppliedOp.objects.filter(op_id__in=[o.op_id for o in ordered]).values_list("op_id", flat=True))
        AppliedOp.objects.bulk_create([
            AppliedOp(op_id=o.op_id, user_id=user_id, device_id=device_id, seq=o.seq, kind=o.kind,
                      payload_hash=o.payload_hash, outcome=Outcome.APPLIED, code="", result={},
                      event_at=o.event_at, received_at=now)
            for o in ordered if o.op_id not in seen
        ])
        claimed = {o.op_id for o in ordered} - seen
    others = [o.op_id for o in ordered if o.op_id not in claimed]
    stored = {
        op_id: Stored(h, outcome, code, result)
        for op_id, h, outcome, code, result in AppliedOp.objects.filter(op_id__in=others).values_list(
            "op_id", "payload_hash", "outcome", "code", "result"
        )
    }
    return claimed, stored


def store(results: dict[uuid.UUID, tuple[str, str, dict[str, Any]]]) -> None:
    """Overwrite the up-front "applied" of these claimed ops with ``(outcome, code, result)``."""
    if not results:
        return
    if connection.vendor == "postgresql":
        from psycopg.types.json import Jsonb

        ids = list(results)
        pgbulk.execute(_STORE, [ids, [results[i][0] for i in ids], [results[i][1] for i in ids],
                                [Jsonb(results[i][2]) for i in ids]])
        return
    for op_id, (outcome, code, result) in results.items():
        AppliedOp.objects.filter(op_id=op_id).update(outcome=outcome, code=code, result=result)


def release(op_ids: list[uuid.UUID]) -> None:
    """Give back claims of ops that failed for a reason of ours (a bug), so a later push retries them."""
    if op_ids:
        AppliedOp.objects.filter(op_id__in=op_ids).delete()
