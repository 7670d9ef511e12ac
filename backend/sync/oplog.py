"""The op log (AppliedOp): claiming op ids and storing what each device was told.

Claiming is an ``INSERT … ON CONFLICT (op_id) DO NOTHING RETURNING op_id`` in op-id order inside
the push's transaction. A concurrent push of the same op (a proxy duplicate, a retry racing the
original) waits on the unique index until the first transaction ends, then finds the row: it is a
duplicate, and never applies the op a second time. The claimed rows say "applied" up front (the
common case); rejections and results with extras are written over them before commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from backend.common import pgbulk
from backend.sync.models import AppliedOp, Outcome
from backend.sync.ops import Op


@dataclass(slots=True)
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
    "AS u(op_id, seq, kind, hash, event_at) ON CONFLICT (op_id) DO NOTHING RETURNING op_id::text"
)
_STORE = (
    f"UPDATE {_TABLE} AS a SET outcome = u.outcome, code = u.code, result = u.result "
    "FROM unnest(%b::uuid[], %b::text[], %b::text[], %b::jsonb[]) AS u(op_id, outcome, code, result) "
    "WHERE a.op_id = u.op_id"
)


# One index probe per op id, whatever the planner thinks of the table: with ``op_id = ANY(…)``
# it seq-scans an op log of 50,000 rows for 500 ids (10 ms; the index takes 1 ms), because a young
# table looks cheap to read whole. ``OFFSET 0`` keeps the sub-select from being flattened into a join.
_LOOKUP = (
    "SELECT a.op_id::text, a.payload_hash, a.outcome, a.code, a.result FROM unnest(%b::uuid[]) AS u(op_id) "
    "CROSS JOIN LATERAL (SELECT op_id, payload_hash, outcome, code, "
    f"CASE WHEN result = '{{}}'::jsonb THEN NULL ELSE result END AS result FROM {_TABLE} "
    "WHERE op_id = u.op_id OFFSET 0) AS a"
)


def _lookup(op_ids: list[str]) -> dict[str, Stored]:
    """Stored results of these op ids (one set-based query; most results are an empty ``{}``)."""
    if not op_ids:
        return {}
    if connection.vendor == "postgresql":
        rows = pgbulk.execute(_LOOKUP, [op_ids])
        # Django's connections load jsonb as text (see scans_bulk), so the result may come as a string.
        return {op_id: Stored(h, outcome, code, json.loads(result) if isinstance(result, str) else result or {})
                for op_id, h, outcome, code, result in rows}
    return {
        str(op_id): Stored(h, outcome, code, result)
        for op_id, h, outcome, code, result in AppliedOp.objects.filter(op_id__in=op_ids).values_list(
            "op_id", "payload_hash", "outcome", "code", "result"
        )
    }


def claim(ops: list[Op], *, user_id: int, device_id: str, now: datetime,
          max_seq: int = 0) -> tuple[set[str], dict[str, Stored]]:
    """Claim the op ids not seen before; return (claimed, stored results of the others).

    Ops at or below the device's ``max_seq`` may have been pushed before (a retry after a lost
    answer, the common duplicate): they are looked up first, so a replayed batch costs one indexed
    read and no insert. Newer ops skip that read. Either way the insert decides, under the unique
    index, for ids a concurrent push may be claiming now; the hint only saves work.
    """
    postgres = connection.vendor == "postgresql"
    stored = _lookup([o.op_id for o in ops if o.seq <= max_seq or not postgres])
    # One lock order, so two pushes cannot deadlock (canonical UUID text sorts as the UUIDs do).
    ordered = sorted((o for o in ops if o.op_id not in stored), key=lambda o: o.op_id)
    if not ordered:
        return set(), stored
    if postgres:
        rows = pgbulk.execute(_CLAIM, [user_id, device_id, now, [o.op_id for o in ordered], [o.seq for o in ordered],
                                       [o.kind for o in ordered], [o.payload_hash for o in ordered],
                                       [o.event_at for o in ordered]])
        claimed = {row[0] for row in rows}
    else:
        # SQLite: every id was looked up above, and the push holds the database write lock (IMMEDIATE
        # transactions), so look-then-insert is safe.
        AppliedOp.objects.bulk_create([
            AppliedOp(op_id=o.op_id, user_id=user_id, device_id=device_id, seq=o.seq, kind=o.kind,
                      payload_hash=o.payload_hash, outcome=Outcome.APPLIED, code="", result={},
                      event_at=o.event_at, received_at=now)
            for o in ordered
        ])
        claimed = {o.op_id for o in ordered}
    # Ids a concurrent push committed between our look-up and our insert: read what it stored.
    stored.update(_lookup([o.op_id for o in ordered if o.op_id not in claimed]))
    return claimed, stored


def store(results: dict[str, tuple[str, str, dict[str, Any]]]) -> None:
    """Overwrite the up-front "applied" of these claimed ops with ``(outcome, code, result)``."""
    if not results:
        return
    if connection.vendor == "postgresql":
        ids = list(results)
        pgbulk.execute(_STORE, [ids, [results[i][0] for i in ids], [results[i][1] for i in ids],
                                [pgbulk.jsonb(results[i][2]) for i in ids]])
        return
    for op_id, (outcome, code, result) in results.items():
        AppliedOp.objects.filter(op_id=op_id).update(outcome=outcome, code=code, result=result)


def release(op_ids: list[str]) -> None:
    """Give back claims of ops that failed for a reason of ours (a bug), so a later push retries them."""
    if op_ids:
        AppliedOp.objects.filter(op_id__in=op_ids).delete()
