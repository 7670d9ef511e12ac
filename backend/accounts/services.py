"""Log in, issue and revoke per-device tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth import authenticate
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import ApiToken
from backend.accounts.roles import Principal, Role, principal_of
from backend.common.errors import DomainError
from backend.couriers.models import Courier


def hash_key(key: str) -> str:
    """The stored form of an API token: its SHA-256 (the key itself is shown once and never kept)."""
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(user: AbstractBaseUser, device_id: str) -> tuple[ApiToken, str]:
    """Issue a token for ``user`` on ``device_id``; returns the row and the key, which is shown only now."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, key_hash=hash_key(key), prefix=key[:8], device_id=device_id)
    return token, key


@transaction.atomic
def login(*, login: str, password: str, device_id: str) -> tuple[ApiToken, str, Principal]:
    """Couriers log in with their employee number, everyone else with their username.

    A courier logging in again on the same device replaces that device's token, so a handheld
    never accumulates live tokens; other devices keep theirs until revoked.
    """
    username = login
    courier = Courier.objects.filter(employee_no=login).select_related("user").first()
    if courier is not None:
        username = courier.user.get_username()
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise DomainError("authentication_failed", "wrong login or password")
    principal = principal_of(user)
    if principal.role is Role.NONE:
        raise DomainError("wrong_role", "this account is not a courier, supervisor or admin")
    ApiToken.objects.filter(user=user, device_id=device_id, revoked_at=None).update(
        revoked_at=timezone.now(), revoked_reason="replaced by a new login on the same device"
    )
    token, key = token_issue(user, device_id)
    return token, key, principal


def token_revoke(*, token: ApiToken, reason: str) -> None:
    """Revoke ``token`` with a reason; a guarded UPDATE, so revoking twice keeps the first reason and time."""
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
            revoked_at=timezone.now(), revoked_reason=reason[:200]
        )


def tokens_revoke_for_user(*, user_id: int, reason: str, device_id: str | None = None) -> int:
    """A lost handheld: revoke every live token of the user (or of one device). Returns how many."""
    qs = ApiToken.objects.filter(user_id=user_id, revoked_at=None)
    if device_id:
        qs = qs.filter(device_id=device_id)
    return qs.update(revoked_at=timezone.now(), revoked_reason=reason[:200])


def token_touch(token: ApiToken) -> None:
    # Only write when it changed noticeably: a write per request would serialise a busy handheld.
    """Note that ``token`` was used; written at most once a minute, so a busy handheld costs no write per request."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
