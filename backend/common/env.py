"""Strict environment parsing: a typo in production must fail at start-up, not behave as a default."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


class EnvError(ValueError):
    pass


def env_str(name: str, default: str = "") -> str:
    """Read ``NAME``, or the contents of the file named by ``NAME_FILE`` (Docker/K8s secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = env_str(name, "")
    if raw == "":
        return default
    if raw in ("True", "true", "1"):
        return True
    if raw in ("False", "false", "0"):
        return False
    raise EnvError(f"{name} must be True or False, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env_str(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise EnvError(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name, "")
    if raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def database_from_url(url: str) -> dict[str, object]:
    """``postgres://user:pass@host:port/name`` → a Django DATABASES entry (psycopg 3)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise EnvError(f"DATABASE_URL must be postgres://…, got scheme {parsed.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or 5432),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"NAME": f"test_{unquote(parsed.path.lstrip('/'))}"},
    }


def channel_prefix_from_url(url: str) -> str:
    """The Channels pub/sub prefix for ``redis://host:port/N``: ``asgi.dbN``.

    Redis scopes keys (Celery's queues, the cache) by database number, but not pub/sub channels:
    two deployments or test runs on one Redis server, told apart only by the number, would hear
    each other's messages. A courier's position is not a doorbell, so it must not cross over.
    """
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss", "unix"):
        raise EnvError(f"REDIS_URL must be redis://…, got scheme {parsed.scheme!r}")
    if parsed.scheme == "unix":  # unix:///run/redis.sock?db=N
        number = (parse_qs(parsed.query).get("db") or ["0"])[0]
    else:
        number = parsed.path.strip("/") or "0"
    if not number.isdigit():
        raise EnvError(f"REDIS_URL's database must be a number, got {number!r}")
    return f"asgi.db{int(number)}"
