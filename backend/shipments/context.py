"""Who did it, where and when: what every lifecycle service records with its event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from backend.accounts.roles import Principal, Role
from backend.common.errors import DomainError
from backend.common.validators import clean_coordinates

# A device clock further than this from ours is kept but flagged on the event.
CLOCK_SKEW_FLAG_S = 300


@dataclass(frozen=True)
class Ctx:
    actor: Principal
    device_id: str = ""
    event_at: datetime | None = None  # the device's clock; None means "now"
    lat: float | None = None
    lng: float | None = None
    accuracy_m: float | None = None
    idempotency_key: str | None = None
    key_claimed: bool = False  # the caller already owns idempotency_key in this transaction (sync's op log)
    extra: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.lat is None) != (self.lng is None):
            raise DomainError("invalid_coordinates", "give both lat and lng, or neither")
        if self.lat is not None and self.lng is not None:
            clean_coordinates(self.lat, self.lng)
        if self.event_at is not None and self.event_at.tzinfo is None:
            raise DomainError("invalid", "event_at needs a time zone")

    @classmethod
    def system(cls) -> Ctx:
        """Background work (tasks, commands) acting on nobody's behalf."""
        return cls(actor=Principal(user_id=None, role=Role.ADMIN))
