"""An option to offer, as the customer will see it (plain data, importable from anywhere in the app)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class OptionInput:
    """One option as the customer will see it: ``text`` in every language the page speaks."""

    key: str
    kind: str
    text: dict[str, str]
    window_start: datetime | None = None
    window_end: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. a station pickup code, a locker

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "text": dict(self.text),
            "window_start": self.window_start.isoformat() if self.window_start else None,
            "window_end": self.window_end.isoformat() if self.window_end else None,
            **self.extra,
        }
