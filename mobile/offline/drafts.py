"""Drafts of the flows at the door, kept in the courier's store as they are filled in. Plain Python.

A crash, a kill by Android or a flat battery mid-flow must lose nothing (issue 17): every change
of a flow's draft is written here (one small ``meta`` row per flow, photos as base64), and the
draft is deleted in the same transaction that records the flow's op, so after a restart the flow
either resumes from its draft or is recorded; never both, never neither.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from mobile.offline.store import Store, dumps


def _key(name: str) -> str:
    return f"draft:{name}"


def encode(value: Any) -> Any:
    """JSON-safe: bytes become {"b64": …}; tuples lists; dicts and lists recursively."""
    if isinstance(value, bytes):
        return {"b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"b64"}:
            return base64.b64decode(value["b64"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def save(store: Store, name: str, data: dict[str, Any]) -> None:
    with store.tx():
        store.set_meta(_key(name), dumps(encode(data)))


def load(store: Store, name: str) -> dict[str, Any] | None:
    raw = store.meta(_key(name))
    return None if raw is None else dict(decode(json.loads(raw)))


def clear(store: Store, name: str) -> None:
    """Inside the transaction that records the flow's op (or when the courier abandons the flow)."""
    with store.tx():
        store.set_meta(_key(name), None)
