"""Who may open which station's console: a supervisor their own, an admin any; others see 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from backend.accounts.roles import Principal, Role, principal_of
from backend.common.errors import DomainError
from backend.couriers.models import Station
from backend.couriers.selectors import station_get_for_staff


def is_staff(principal: Principal) -> bool:
    return principal.role in (Role.SUPERVISOR, Role.ADMIN)


def station_for(request: HttpRequest, code: str) -> tuple[Principal, Station]:
    """The station behind ``code`` if the logged-in user runs it. Another station's page is a 404,
    exactly like a station that does not exist, so codes leak nothing."""
    principal = principal_of(request.user)
    try:
        return principal, station_get_for_staff(principal, code)
    except DomainError:
        raise Http404("no such station") from None
