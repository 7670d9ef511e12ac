"""``Authorization: Token <key>`` (or ``Bearer <key>``) against per-device tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from rest_framework import authentication, exceptions

from backend.accounts.models import ApiToken
from backend.accounts.services import hash_key, token_touch
from backend.accounts.token_lookup import token_with_user


def user_for_key(key: str) -> tuple[AbstractBaseUser, ApiToken] | None:
    """Used by REST and by the websocket consumers alike. None when unknown or revoked."""
    token = token_with_user(hash_key(key))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    return token.user, token


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("token", "bearer")

    def authenticate(self, request: Any) -> tuple[AbstractBaseUser, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("malformed Authorization header")
        try:
            key = header[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("malformed token") from exc
        found = user_for_key(key)
        if found is None:
            raise exceptions.AuthenticationFailed("unknown or revoked token")
        token_touch(found[1])
        return found

    def authenticate_header(self, request: Any) -> str:
        return "Token"
