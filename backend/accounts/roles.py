"""Who is asking: a courier, a station supervisor, or an admin. One place answers it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    COURIER = "courier"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    NONE = "none"


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    role: Role
    courier_id: int | None = None
    station_id: int | None = None  # the courier's or supervisor's station; None for admins

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    # The role promises the ids: a courier has a courier and a station, a supervisor a station, every
    # signed-in principal a user. These read them as plain ints where a query needs one (a None in a filter
    # would silently mean IS NULL); asking for one the role does not promise is a bug, not a user error.
    def require_user_id(self) -> int:
        if self.user_id is None:
            raise LookupError(f"a {self.role} principal without a user has no user id")
        return self.user_id

    def require_courier_id(self) -> int:
        if self.courier_id is None:
            raise LookupError(f"a {self.role} principal has no courier id")
        return self.courier_id

    def require_station_id(self) -> int:
        if self.station_id is None:
            raise LookupError(f"a {self.role} principal has no station")
        return self.station_id

    def can_see_station(self, station_id: int) -> bool:
        return self.is_admin or (self.role is Role.SUPERVISOR and self.station_id == station_id)


def principal_of(user: Any) -> Principal:
    if user is None or not getattr(user, "is_authenticated", False):
        return Principal(user_id=None, role=Role.NONE)
    # Admin is the explicit superuser flag. `is_staff` only opens the Django admin site (with its own
    # model permissions): ticking it for a supervisor once made them an API admin of every station.
    if user.is_superuser:
        return Principal(user_id=user.pk, role=Role.ADMIN)
    # A missing one-to-one raises RelatedObjectDoesNotExist, an AttributeError: getattr's default covers it.
    courier = getattr(user, "courier", None)
    if courier is not None:
        return Principal(
            user_id=user.pk, role=Role.COURIER, courier_id=courier.pk, station_id=courier.station_id
        )
    supervisor = getattr(user, "supervisor", None)
    if supervisor is not None:
        return Principal(user_id=user.pk, role=Role.SUPERVISOR, station_id=supervisor.station_id)
    return Principal(user_id=user.pk, role=Role.NONE)
