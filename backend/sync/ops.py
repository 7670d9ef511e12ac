"""Parsing a pushed op: the envelope every kind shares. Pure code (no database).

An op is ``{"op_id", "device_id", "seq", "event_at", "kind", "payload"}``. An envelope that
cannot be parsed is rejected here and never stored (the same bytes give the same rejection on a
replay); a parsed op is claimed by its op id and its kind-specific payload is checked when it is
applied (see ``handlers``), where a bad payload becomes a stored rejection.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

KINDS = frozenset({"scan", "accept", "start", "arrive", "deliver", "fail", "weigh", "location", "call_log"})
MAX_OPS = 1000


@dataclass(frozen=True)
class Op:
    index: int
    op_id: uuid.UUID
    device_id: str
    seq: int
    event_at: datetime
    kind: str
    payload: dict[str, Any]
    payload_hash: str


@dataclass(frozen=True)
class BadOp:
    index: int
    op_id: str | None
    seq: int | None
    code: str
    message: str


def payload_hash(kind: str, event_at: str, payload: Any) -> str:
    """What "the same op" means: same kind, same event time, same payload (key order ignored)."""
    text = json.dumps([kind, event_at, payload], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def parse_op(index: int, raw: Any, device_id: str) -> Op | BadOp:
    if not isinstance(raw, dict):
        return BadOp(index, None, None, "malformed_op", "an op must be an object")
    raw_id = raw.get("op_id")
    seq = raw.get("seq")
    seq_ok = isinstance(seq, int) and not isinstance(seq, bool) and 1 <= seq < 2**62
    label = raw_id if isinstance(raw_id, str) else None

    def bad(code: str, message: str) -> BadOp:
        return BadOp(index, label, seq if seq_ok else None, code, message)

    try:
        op_id = uuid.UUID(raw_id) if isinstance(raw_id, str) else None
    except ValueError:
        op_id = None
    if op_id is None or op_id.version != 7:
        return bad("malformed_op", "op_id must be a UUIDv7 string")
    if raw.get("device_id") != device_id:
        return bad("wrong_device", f"this op was recorded on device {raw.get('device_id')!r}, "
                                   f"but the token belongs to {device_id!r}")
    if not seq_ok:
        return bad("malformed_op", "seq must be a positive integer")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        return bad("unknown_kind", f"unknown op kind {kind!r}; use one of {sorted(KINDS)}")
    raw_at = raw.get("event_at")
    try:
        event_at = datetime.fromisoformat(raw_at) if isinstance(raw_at, str) else None
    except ValueError:
        event_at = None
    if event_at is None or event_at.tzinfo is None or not 2000 <= event_at.year <= 2100:
        return bad("malformed_op", "event_at must be an ISO 8601 time with a time zone, between 2000 and 2100")
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        return bad("malformed_op", "payload must be an object")
    return Op(index, op_id, device_id, seq, event_at, kind, payload, payload_hash(kind, raw_at, payload))
