"""Log in, issue and revoke per-device tokens; let a person sign in or not."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from backend.accounts import lockout
from backend.accounts.models import ApiToken, LoginAttempt
from backend.accounts.roles import Principal, Role, principal_of
from backend.accounts.sockets import (
    close_session_sockets,
    close_sockets_on_commit,
    recheck_sockets_on_commit,
)
from backend.common.errors import DomainError


def hash_key(key: str) -> str:
    """The stored form of an API token: its SHA-256 (the key itself is shown once and never kept)."""
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(user: AbstractBaseUser, device_id: str) -> tuple[ApiToken, str]:
    """Issue a token for ``user`` on ``device_id``; returns the row and the key, which is shown only now."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user_id=user.pk, key_hash=hash_key(key), prefix=key[:8], device_id=device_id
    )
    return token, key


def login(
    *, login: str, password: str, device_id: str, ip: str | None = None
) -> tuple[ApiToken, str, Principal]:
    """Couriers log in with their employee number, everyone else with their username.

    A courier logging in again on the same device replaces that device's token, so a handheld
    never accumulates live tokens; other devices keep theirs until revoked. Wrong passwords count
    towards the lockouts of ``lockout.py``; every try is recorded (``LoginAttempt``).
    """
    now = timezone.now()
    user_id = _user_id_for_login(login)
    blocked = lockout.address_blocked_until(ip, now)
    locked = lockout.account_locked_until(user_id, now) if user_id is not None else None
    if blocked is not None or locked is not None:
        _record(login, user_id, ip, LoginAttempt.Outcome.REFUSED, now)
        if blocked is not None:
            raise _wait("too_many_attempts", "too many wrong passwords from this address", blocked, now)
        assert locked is not None
        raise _wait(
            "login_locked",
            "this account is locked after too many wrong passwords: wait, or ask your supervisor to unlock it",
            locked,
            now,
        )
    user = authenticate(username=_username_for_login(login), password=password)
    if user is None or not user.is_active:
        _record(login, user_id, ip, LoginAttempt.Outcome.FAILED, now)
        raise DomainError("authentication_failed", "wrong login or password")
    principal = principal_of(user)
    if principal.role is Role.NONE:
        raise DomainError("wrong_role", "this account is not a courier, supervisor or admin")
    with transaction.atomic():
        _record(login, user.pk, ip, LoginAttempt.Outcome.SUCCEEDED, now)
        replaced = list(
            ApiToken.objects.filter(user=user, device_id=device_id, revoked_at=None).values_list(
                "pk", flat=True
            )
        )
        ApiToken.objects.filter(pk__in=replaced, revoked_at=None).update(
            revoked_at=now, revoked_reason="replaced by a new login on the same device"
        )
        close_sockets_on_commit(replaced)
        token, key = token_issue(user, device_id)
    return token, key, principal


def login_unlock(*, user_id: int, actor: Principal, reason: str) -> None:
    """Lift a lockout now (the caller checked the actor may act on this user); recorded with the reason."""
    LoginAttempt.objects.create(
        at=timezone.now(),
        login="",
        user_id=user_id,
        outcome=LoginAttempt.Outcome.UNLOCKED,
        actor_id=actor.user_id,
        reason=reason[:200],
    )


def _username_for_login(login: str) -> str:
    # Through the user's reverse relation, not the Courier model: accounts sits below couriers
    # (docs/architecture.md, layers), as ``roles.principal_of`` does with ``user.courier``.
    courier_user = get_user_model().objects.filter(courier__employee_no=login).first()
    return courier_user.get_username() if courier_user is not None else login


def _user_id_for_login(login: str) -> int | None:
    users = get_user_model().objects
    found = users.filter(courier__employee_no=login).values_list("pk", flat=True).first()
    if found is None:
        found = users.filter(username=login).values_list("pk", flat=True).first()
    return None if found is None else int(found)


def _record(login: str, user_id: int | None, ip: str | None, outcome: str, at: datetime) -> None:
    # Outside any transaction of the caller's: a failure must be counted even though the call raises.
    LoginAttempt.objects.create(at=at, login=login[:150], user_id=user_id, ip=ip or None, outcome=outcome)


def _wait(code: str, message: str, until: datetime, now: datetime) -> DomainError:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    return DomainError(code, f"{message} (try again in {seconds} s)", retry_after_s=seconds)


@transaction.atomic
def token_revoke(*, token: ApiToken, reason: str) -> None:
    """Revoke one token (a logout, or a revocation by its owner or a supervisor); its sockets close."""
    if token.revoked_at is None:
        ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
            revoked_at=timezone.now(), revoked_reason=reason[:200]
        )
        close_sockets_on_commit([token.pk])


def tokens_revoke_for_user(*, user_id: int, reason: str, device_id: str | None = None) -> int:
    """A lost handheld: revoke every live token of the user (or of one device). Returns how many."""
    qs = ApiToken.objects.filter(user_id=user_id, revoked_at=None)
    if device_id:
        qs = qs.filter(device_id=device_id)
    with transaction.atomic():
        ids = list(qs.select_for_update().values_list("pk", flat=True))
        revoked = ApiToken.objects.filter(pk__in=ids, revoked_at=None).update(
            revoked_at=timezone.now(), revoked_reason=reason[:200]
        )
        close_sockets_on_commit(ids)
    return revoked


def session_ended(*, session_key: str | None) -> None:
    """A console login session ended (its person logged out; the session is already flushed):
    close its live sockets now rather than at their next heartbeat's re-check."""
    if session_key:
        close_session_sockets(session_key)


def token_touch(token: ApiToken) -> None:
    # Only write when it changed noticeably: a write per request would serialise a busy handheld.
    """Note that ``token`` was used; written at most once a minute, so a busy handheld costs no write per request."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


@transaction.atomic
def user_set_active(*, user_id: int, active: bool) -> bool:
    """Let the person sign in again, or no more (a leaver: their account stays, it signs their history).

    An inactive user's tokens stop working at once (REST, new sockets) and, after the commit, their
    open sockets close 4401. Returns whether anything changed.
    """
    users = get_user_model().objects.filter(pk=user_id)
    changed = users.exclude(is_active=active).update(is_active=active)
    if changed:
        recheck_sockets_on_commit([user_id])
    return bool(changed)


def user_access_changed(*, user_ids: Iterable[int]) -> None:
    """Announce a change of these people's access written by someone else's code in the caller's
    transaction (Django's own user admin saves ``is_active``/``is_superuser`` itself): after the
    commit their open sockets re-read their access (accounts.sockets)."""
    recheck_sockets_on_commit(user_ids)
