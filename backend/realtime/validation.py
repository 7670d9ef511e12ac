"""Checking a server message against the catalogue (``catalogue.py``): the tests run every message
they receive through ``validate``, so a payload that grows a field fails until the catalogue and
the docs say so."""

from __future__ import annotations

import types
from datetime import datetime
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints, is_typeddict

from backend.broadcast.envelope import ENVELOPE_VERSION
from backend.realtime.catalogue import CATALOGUE, MessageType


class CatalogueError(ValueError):
    pass


def validate(message: Any) -> MessageType:
    """Check one server message against the catalogue; raises ``CatalogueError`` listing every problem."""
    problems: list[str] = []
    if not isinstance(message, dict) or set(message) != {"type", "v", "cursor", "at", "payload"}:
        raise CatalogueError(f"not an envelope: {message!r}")
    spec = CATALOGUE.get(message["type"])
    if spec is None:
        raise CatalogueError(f"unknown message type {message['type']!r}")
    if message["v"] != ENVELOPE_VERSION:
        problems.append(f"v is {message['v']!r}, expected {ENVELOPE_VERSION}")
    cursor = message["cursor"]
    if spec.cursor == "none" and cursor is not None:
        problems.append("cursor must be null")
    if spec.cursor != "none" and (isinstance(cursor, bool) or not isinstance(cursor, int) or cursor < 0):
        problems.append(f"cursor must be a non-negative integer, got {cursor!r}")
    try:
        if datetime.fromisoformat(message["at"]).tzinfo is None:
            problems.append("at has no time zone")
    except (TypeError, ValueError):
        problems.append(f"at is not an ISO 8601 time: {message['at']!r}")
    _check(message["payload"], spec.payload, "payload", problems)
    if problems:
        raise CatalogueError(f"{message['type']}: " + "; ".join(problems))
    return spec


def _check(value: Any, tp: Any, path: str, problems: list[str]) -> None:
    if tp is Any:
        return
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        trials: list[list[str]] = []
        for option in get_args(tp):
            trial: list[str] = []
            _check(value, option, path, trial)
            if not trial:
                return
            trials.append(trial)
        problems.append(f"{path}: {value!r} matches none of {tp}")
    elif origin is Literal:
        if value not in get_args(tp):
            problems.append(f"{path}: {value!r} is not one of {get_args(tp)}")
    elif origin is list:
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list")
        else:
            for i, item in enumerate(value):
                _check(item, get_args(tp)[0], f"{path}[{i}]", problems)
    elif origin is dict:
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            problems.append(f"{path}: expected an object")
    elif is_typeddict(tp):
        _check_typeddict(value, tp, path, problems)
    elif tp is type(None):
        if value is not None:
            problems.append(f"{path}: expected null")
    elif tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{path}: expected a number, got {value!r}")
    elif tp in (int, str, bool):
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            problems.append(f"{path}: expected {tp.__name__}, got {value!r}")
    else:  # pragma: no cover - a catalogue entry using a type this checker does not know
        raise TypeError(f"catalogue type {tp!r} is not supported")


def _check_typeddict(value: Any, tp: Any, path: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{path}: expected an object")
        return
    hints = get_type_hints(tp)
    for key in sorted(tp.__required_keys__ - set(value)):
        problems.append(f"{path}.{key}: missing")
    for key in sorted(set(value) - set(hints)):
        problems.append(f"{path}.{key}: not in the catalogue")
    for key, item in value.items():
        if key in hints:
            _check(item, hints[key], f"{path}.{key}", problems)
