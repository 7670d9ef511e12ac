"""Liveness and readiness for the process supervisor and the load balancer (docs/operations.md).

``/healthz`` answers as long as the process serves requests: nothing else is touched, so a slow
database never gets a healthy web process restarted. ``/readyz`` asks each backing service the
smallest question it can answer (PostgreSQL ``SELECT 1``, Redis ``PING``, the Celery broker's
connection) and answers 503 with the ones that failed, so traffic goes elsewhere until they answer.
On the embedded defaults (SQLite, no Redis, an in-memory broker) the services that are not
configured are reported as ``embedded`` and do not fail readiness.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from backend.celery import app as celery_app

CHECK_TIMEOUT_S = 2


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _redis() -> str:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return "embedded"
    client = redis.Redis.from_url(url, socket_timeout=CHECK_TIMEOUT_S, socket_connect_timeout=CHECK_TIMEOUT_S)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _broker() -> str:
    if str(settings.CELERY_BROKER_URL).startswith("memory://"):
        return "embedded"
    with celery_app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_S)
    return "ok"


CHECKS: dict[str, Callable[[], str]] = {"database": _database, "redis": _redis, "broker": _broker}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict[str, object]] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            state = check()
        except Exception as exc:  # any failure of a backing service means "not ready", with why
            state = f"error: {type(exc).__name__}"
        results[name] = {"status": state, "ms": round((time.perf_counter() - started) * 1000, 1)}
    ready = all(r["status"] in ("ok", "embedded") for r in results.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503
    )
