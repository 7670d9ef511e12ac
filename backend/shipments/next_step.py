"""The ``next_step`` a courier records with a failed attempt: what they agreed with the customer."""

from __future__ import annotations

from datetime import datetime

from backend.common.errors import DomainError
from backend.shipments.states import NextStep

# What a courier may say about the next step, with each value's longest length. The same for REST
# and sync (the handheld's op): anything else is refused, so nothing a device invents is stored and
# copied into every later feed row, socket message and pull (issue 16).
NEXT_STEP_FIELDS = {"kind": 16, "window_start": 40, "window_end": 40, "address": 255, "note": 500}


def clean_next_step(step: dict[str, object]) -> dict[str, object]:
    """The courier's ``next_step``, checked: known fields only, strings within their lengths, a
    known kind, a window as two ISO times with their zone, the end after the start."""
    if not step:
        return {}
    unknown = sorted(set(step) - set(NEXT_STEP_FIELDS))
    if unknown:
        raise DomainError("invalid", f"next_step has unknown fields {unknown}")
    for name, value in step.items():
        if not isinstance(value, str) or len(value) > NEXT_STEP_FIELDS[name]:
            raise DomainError(
                "invalid", f"next_step.{name} must be text of at most {NEXT_STEP_FIELDS[name]} characters"
            )
    if step.get("kind") not in NextStep.values:
        raise DomainError("invalid", f"next_step.kind must be one of {', '.join(NextStep.values)}")
    if "window_start" in step or "window_end" in step:
        try:
            start = datetime.fromisoformat(str(step.get("window_start")))
            end = datetime.fromisoformat(str(step.get("window_end")))
            ordered = start.tzinfo is not None and end.tzinfo is not None and start < end
        except ValueError:
            ordered = False
        if not ordered:
            raise DomainError(
                "invalid_time_window", "next_step needs window_start before window_end, with their zone"
            )
    return dict(step)
