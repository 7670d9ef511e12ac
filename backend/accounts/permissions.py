"""Who may call an operation at all, by role. Which objects they may touch is the selectors' job.

A role that may never do something gets 403 ``wrong_role``; an anonymous caller gets 401 (DRF turns
a ``False`` from ``has_permission`` into ``NotAuthenticated`` when no credentials were sent, so
these classes return ``False`` for anonymous callers instead of raising).
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

from backend.accounts.roles import Principal, Role, principal_of
from backend.common.errors import DomainError

_CACHE_ATTR = "_parcelrun_principal"


def principal(request: Any) -> Principal:
    """The caller's role, computed once per request (``principal_of`` follows user relations)."""
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is None:
        cached = principal_of(request.user)
        setattr(request, _CACHE_ATTR, cached)
    return cached


def device_of(request: Any) -> str:
    """The handheld the caller's token was issued to: the only device id a request may act for."""
    device = getattr(request.auth, "device_id", "")
    if not device:
        raise DomainError("wrong_device", "this needs a per-device token (log in from the handheld)")
    return str(device)


class _RolePermission(BasePermission):
    allowed: frozenset[Role] = frozenset()
    refusal = "your role may not do this"

    def has_permission(self, request: Any, view: Any) -> bool:
        if not getattr(request.user, "is_authenticated", False):
            return False
        if principal(request).role not in self.allowed:
            raise DomainError("wrong_role", self.refusal, role=principal(request).role.value)
        return True


class IsCourier(_RolePermission):
    allowed = frozenset({Role.COURIER})
    refusal = "only a courier can do this"


class IsStationStaff(_RolePermission):
    """Supervisors (for their own station, checked by the selector) and admins."""

    allowed = frozenset({Role.SUPERVISOR, Role.ADMIN})
    refusal = "only a supervisor or an admin can do this"


class IsStaffOrCourier(_RolePermission):
    allowed = frozenset({Role.COURIER, Role.SUPERVISOR, Role.ADMIN})
    refusal = "this account has no courier, supervisor or admin role"
