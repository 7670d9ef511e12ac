"""Per-device API tokens. Only a SHA-256 of the key is stored, so a database leak leaks no tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)  # shown in lists so people can tell tokens apart
    device_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "device_id"])]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.device_id}"


class LoginAttempt(models.Model):
    """One try at logging in, or a supervisor's unlock: append-only, read by the lockout rules.

    The rules read this table rather than a cache, so every server process agrees on who is locked
    out, and the same rows are the audit of who tried what from where.
    """

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded"
        FAILED = "failed"  # wrong password or unknown login
        REFUSED = "refused"  # locked out or throttled: the password was not even checked
        UNLOCKED = "unlocked"  # a supervisor or admin lifted a lockout

    at = models.DateTimeField()
    login = models.CharField(max_length=150)  # as typed (truncated): unknown logins are counted too
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["user", "at"]),
            models.Index(fields=["ip", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.login} {self.outcome}"
