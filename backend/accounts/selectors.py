"""Reads about accounts and tokens, scoped to who is asking."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, QuerySet

from backend.accounts.models import ApiToken
from backend.accounts.roles import Principal, Role, principal_of
from backend.accounts.token_lookup import ROLES
from backend.common.errors import DomainError

# Postgres bigint: a larger id cannot exist, and must not reach the database as a parameter.
MAX_ID = 2**63 - 1


def tokens_live_for_user(*, user_id: int) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=user_id, revoked_at=None).order_by("-created_at", "-pk")


def token_get_for_revocation(principal: Principal, token_id: int) -> ApiToken:
    """A token the principal may revoke: their own, a courier's of their stations (supervisor, station
    manager), any (admin).

    Anything else is "not found", so token ids of other people leak nothing.
    """
    if not 1 <= token_id <= MAX_ID:
        raise DomainError("not_found", f"token {token_id} not found")
    qs = ApiToken.objects.select_related("user")
    if principal.role is Role.SUPERVISOR:
        mine = qs.filter(pk=token_id, user_id=principal.require_user_id())
        station = qs.filter(pk=token_id, user__courier__station_id__in=principal.station_ids)
        qs = mine | station
    elif principal.role is not Role.ADMIN:
        qs = qs.none() if principal.user_id is None else qs.filter(pk=token_id, user_id=principal.user_id)
    token = qs.filter(pk=token_id).first()
    if token is None:
        raise DomainError("not_found", f"token {token_id} not found")
    return token


def principal_live(*, user_id: int, token_id: int | None) -> Principal | None:
    """The person's access as it is now, read as a request would read it; None when they can no
    longer sign in (user gone or inactive, or ``token_id`` given and revoked). One query (two for a
    station manager): live sockets re-read it on every heartbeat and before every command."""
    users = get_user_model().objects.select_related(*ROLES).filter(pk=user_id, is_active=True)
    if token_id is not None:
        live = ApiToken.objects.filter(pk=token_id, user_id=OuterRef("pk"), revoked_at=None)
        users = users.filter(Exists(live))
    user = users.first()
    return None if user is None else principal_of(user)
