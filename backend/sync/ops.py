"""Parsing a pushed op: the envelope every kind shares. Pure code (no database).

An op is ``{"op_id", "device_id", "seq", "event_at", "kind", "payload"}``. An envelope that
cannot be parsed is rejected here and never stored (the same bytes give the same rejection on a
replay); a parsed op is claimed by its op id and its kind-specific payload is checked when it is
applied (see ``handlers``), where a bad payload becomes a stored rejection.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from parcelkit.ops import KINDS

MAX_OPS = 1000


@dataclass(slots=True)  # not frozen: a frozen dataclass' __init__ costs 3 µs, and a push makes 500
class Op:
    index: int
    op_id: str  # canonical text of a UUIDv7
    device_id: str
    seq: int
    event_at: datetime
    kind: str
    payload: dict[str, Any]
    payload_hash: str
    raw_event_at: str  # as sent: part of the hash


@dataclass(frozen=True)
class BadOp:
    index: int
    op_id: str | None
    seq: int | None
    code: str
    message: str


def payload_hash(kind: str, event_at: str, payload: Any) -> str:
    """What "the same op" means: same kind, same event time, same payload (key order ignored)."""
    try:
        return hashlib.sha256(
            orjson.dumps([kind, event_at, payload], option=orjson.OPT_SORT_KEYS)
        ).hexdigest()
    except TypeError:  # an integer past 64 bits: only json can write it
        return legacy_payload_hash(kind, event_at, payload)


def legacy_payload_hash(kind: str, event_at: str, payload: Any) -> str:
    """The hash as json.dumps wrote it before orjson (op logs keep those): compared on a mismatch."""
    text = json.dumps([kind, event_at, payload], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def same_op(stored_hash: str, op: Op) -> bool:
    return stored_hash == op.payload_hash or stored_hash == legacy_payload_hash(
        op.kind, op.raw_event_at, op.payload
    )


# The canonical text of a UUIDv7 (RFC 9562 variant): what handhelds send, checked without uuid.UUID.
_UUID7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")


def _op_id(raw: Any) -> str | None:
    """The op id in canonical form (lower-case, dashed), or None when it is not a UUIDv7."""
    if not isinstance(raw, str):
        return None
    if _UUID7.match(raw):
        return raw
    try:
        parsed = uuid.UUID(raw)
    except ValueError:
        return None
    return str(parsed) if parsed.version == 7 else None


def parse_op(index: int, raw: Any, device_id: str) -> Op | BadOp:
    if not isinstance(raw, dict):
        return BadOp(index, None, None, "malformed_op", "an op must be an object")
    raw_id = raw.get("op_id")
    raw_seq = raw.get("seq")
    seq_ok = isinstance(raw_seq, int) and not isinstance(raw_seq, bool) and 1 <= raw_seq < 2**62
    seq: int | None = raw_seq if seq_ok else None
    label = raw_id if isinstance(raw_id, str) else None

    def bad(code: str, message: str) -> BadOp:
        return BadOp(index, label, seq, code, message)

    op_id = _op_id(raw_id)
    if op_id is None:
        return bad("malformed_op", "op_id must be a UUIDv7 string")
    if raw.get("device_id") != device_id:
        return bad(
            "wrong_device",
            f"this op was recorded on device {raw.get('device_id')!r}, "
            f"but the token belongs to {device_id!r}",
        )
    if seq is None:
        return bad("malformed_op", "seq must be a positive integer")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        return bad("unknown_kind", f"unknown op kind {kind!r}; use one of {sorted(KINDS)}")
    raw_at = raw.get("event_at")
    try:
        event_at = datetime.fromisoformat(raw_at) if isinstance(raw_at, str) else None
    except ValueError:
        event_at = None
    if (
        not isinstance(raw_at, str)
        or event_at is None
        or event_at.tzinfo is None
        or not 2000 <= event_at.year <= 2100
    ):
        return bad(
            "malformed_op", "event_at must be an ISO 8601 time with a time zone, between 2000 and 2100"
        )
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        return bad("malformed_op", "payload must be an object")
    return Op(
        index, op_id, device_id, seq, event_at, kind, payload, payload_hash(kind, raw_at, payload), raw_at
    )
