"""How many wrong passwords an account and an address may try, read from the login attempts.

* an account: after ``LOGIN_MAX_FAILURES`` wrong passwords in a row (no success or unlock between)
  within ``LOGIN_LOCK_S``, it is locked for ``LOGIN_LOCK_S`` after the last of them, whatever
  password comes next; a supervisor (their couriers) or an admin can unlock it at once;
* an address: after ``LOGIN_IP_MAX_FAILURES`` wrong passwords within ``LOGIN_IP_WINDOW_S`` from one
  IP, every login from it waits until the oldest of them leaves the window.

A refused try checks no password (hashing costs ~0.3 s: a cheap way to load the server otherwise)
and does not extend the lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from backend.accounts.models import LoginAttempt

Outcome = LoginAttempt.Outcome


@dataclass(frozen=True)
class Limits:
    max_failures: int
    lock: timedelta
    ip_max_failures: int
    ip_window: timedelta


def limits() -> Limits:
    return Limits(
        max_failures=int(getattr(settings, "PARCELRUN_LOGIN_MAX_FAILURES", 5)),
        lock=timedelta(seconds=float(getattr(settings, "PARCELRUN_LOGIN_LOCK_S", 900))),
        ip_max_failures=int(getattr(settings, "PARCELRUN_LOGIN_IP_MAX_FAILURES", 20)),
        ip_window=timedelta(seconds=float(getattr(settings, "PARCELRUN_LOGIN_IP_WINDOW_S", 600))),
    )


def account_locked_until(user_id: int, now: datetime) -> datetime | None:
    """When the account's lock ends, or None when it is not locked."""
    rule = limits()
    recent = list(
        LoginAttempt.objects.filter(user_id=user_id)
        .exclude(outcome=Outcome.REFUSED)
        .order_by("-at", "-pk")
        .values_list("outcome", "at")[: rule.max_failures]
    )
    if len(recent) < rule.max_failures or any(outcome != Outcome.FAILED for outcome, _ in recent):
        return None
    newest, oldest = recent[0][1], recent[-1][1]
    if newest - oldest > rule.lock:  # spread out: not a burst of guesses
        return None
    until = newest + rule.lock
    return until if until > now else None


def address_blocked_until(ip: str | None, now: datetime) -> datetime | None:
    """When the address may try again, or None when it may now."""
    if not ip:
        return None
    rule = limits()
    since = now - rule.ip_window
    failures = list(
        LoginAttempt.objects.filter(ip=ip, outcome=Outcome.FAILED, at__gt=since)
        .order_by("-at")
        .values_list("at", flat=True)[: rule.ip_max_failures]
    )
    if len(failures) < rule.ip_max_failures:
        return None
    return failures[-1] + rule.ip_window
