"""Reads about stations and couriers, scoped to who is asking. Fixed query counts whatever the size."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from backend.accounts.roles import Principal, Role
from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station

MAX_ID = 2**63 - 1
STATION_CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


def station_today(station: Station, now: datetime | None = None) -> date:
    """The service date "today" at the station: a courier's day turns over at local midnight."""
    return (now or timezone.now()).astimezone(ZoneInfo(station.time_zone)).date()


def station_get(*, station_id: int) -> Station:
    return Station.objects.get(pk=station_id)


def station_get_for_staff(principal: Principal, code: str) -> Station:
    """A station a supervisor (their own) or an admin (any) may run. Unknown codes are 404."""
    # Checked before the query: a NUL byte or an overlong code must be "not found", not a driver error.
    station = Station.objects.filter(code=code).first() if STATION_CODE.fullmatch(code) else None
    if station is None:
        raise DomainError("not_found", f"station {code!r} not found")
    if not principal.can_see_station(station.pk):
        raise DomainError("permission_denied", f"station {station.code} is not yours")
    return station


def courier_get_for_staff(principal: Principal, courier_id: int) -> Courier:
    """A courier of the supervisor's station (any for an admin); others are "not found"."""
    qs = Courier.objects.select_related("user", "station")
    if principal.role is Role.SUPERVISOR:
        qs = qs.filter(station_id__in=principal.station_ids)
    elif principal.role is not Role.ADMIN:
        qs = qs.none()
    courier = qs.filter(pk=courier_id).first() if 1 <= courier_id <= MAX_ID else None
    if courier is None:
        raise DomainError("not_found", f"courier {courier_id} not found")
    return courier
