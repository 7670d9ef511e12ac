"""Reference lists a handheld keeps offline: reason codes (built in) and the tariff book (published).

Each list has a version; the device sends the versions it holds with every pull and receives
only the lists that changed. Publishing a new tariff book is ``reference_publish("tariff", …)``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils import timezone

from backend.common.errors import DomainError
from backend.shipments.states import NextStep, ReasonCode
from backend.sync.models import ReferenceData

NAMES = ("reason_codes", "next_steps", "tariff")


def _version(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def _built_in() -> dict[str, dict[str, Any]]:
    lists = {
        "reason_codes": [{"code": c.value, "label": str(c.label)} for c in ReasonCode],
        "next_steps": [{"code": c.value, "label": str(c.label)} for c in NextStep],
    }
    return {name: {"version": _version(items), "data": items} for name, items in lists.items()}


def reference_current() -> dict[str, dict[str, Any]]:
    """Every list with its version (one query: the published rows override the built-in ones)."""
    lists = _built_in()
    for row in ReferenceData.objects.all():
        lists[row.name] = {"version": row.version, "data": row.data}
    return lists


def reference_changed(held: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {name: ref for name, ref in reference_current().items() if held.get(name) != ref["version"]}


def reference_publish(*, name: str, data: Any) -> ReferenceData:
    if name not in NAMES:
        raise DomainError("invalid", f"unknown reference list {name!r}; use one of {list(NAMES)}")
    row, _ = ReferenceData.objects.update_or_create(
        name=name, defaults={"version": _version(data), "data": data, "updated_at": timezone.now()}
    )
    return row
