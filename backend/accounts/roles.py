"""Who is asking: a courier, a station supervisor (or station manager), or an admin. One place answers it.

A station manager (站长, ``stations.models.StationManager``) is a supervisor at each station they
run: the ``SUPERVISOR`` role with those stations in ``station_ids``, so every check that lets a
supervisor act at their station lets the manager act at theirs, and nowhere else. What only a
manager may do (open stations, manage a station's staff and tariff book in the admin) asks
``can_manage_station``.
"""

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
    # The one station a courier or supervisor works at; None for admins, and for a manager of
    # several stations (read ``station_ids``: a None here fails closed wherever it is compared).
    station_id: int | None = None
    # Every station the principal works at (a courier's or supervisor's one, a manager's several).
    station_ids: frozenset[int] = frozenset()
    managed_station_ids: frozenset[int] = frozenset()  # the stations they run as station manager

    def __post_init__(self) -> None:
        if not self.station_ids and self.station_id is not None:
            object.__setattr__(self, "station_ids", frozenset({self.station_id}))

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    # The role promises the ids: a courier has a courier and a station, a supervisor of one station that
    # station (a manager of several has ``station_ids`` instead), every
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

    @property
    def is_manager(self) -> bool:
        return bool(self.managed_station_ids)

    def can_see_station(self, station_id: int) -> bool:
        return self.is_admin or (self.role is Role.SUPERVISOR and station_id in self.station_ids)

    def can_manage_station(self, station_id: int) -> bool:
        """Open, staff and price the station (the admin's pages): an admin, or its station manager."""
        return self.is_admin or station_id in self.managed_station_ids


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
    manager = getattr(user, "station_manager", None)
    # One more query, for managers only: the API's token read joins the manager row (None for
    # everyone else), not the stations, which are many.
    managed = (
        frozenset(manager.grants.values_list("station_id", flat=True)) if manager is not None else frozenset()
    )
    stations = managed | ({supervisor.station_id} if supervisor is not None else set())
    if not stations:  # a manager whose every station was revoked has no role left
        return Principal(user_id=user.pk, role=Role.NONE)
    return Principal(
        user_id=user.pk,
        role=Role.SUPERVISOR,
        station_id=next(iter(stations)) if len(stations) == 1 else None,
        station_ids=frozenset(stations),
        managed_station_ids=managed,
    )
