"""Overload answers 503 "busy, try again", never 500 (issue 14's 1,000-answers bench found a 500).

When every database connection of a worker's pool is taken for longer than the pool's timeout,
the request that waited fails with ``PoolTimeout``. That is the server being full, not a bug and
not the client's fault: the client should come back in a moment, so it gets 503 with
``Retry-After``, as JSON under ``/api/`` and as a short page elsewhere (the customer's page, the
console). Nothing was written: the request never had a connection.

A deadlock or serialization failure that outlived the services' own retries
(``backend.common.transient``) is answered the same way, with a shorter Retry-After: its
transaction was rolled back whole, so the client's retry is safe.

A request that cannot reach PostgreSQL, or loses its connection on the way (a restart, a
failover, a connection the server killed), is answered 503 ``database_unavailable`` with
Retry-After: that is an outage to wait out, not a bug. Unlike the two above, a write whose
connection died at its COMMIT may have been applied, so clients resend with what makes a write
safe to repeat (the sync op id, ``Idempotency-Key``): docs/api.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import psycopg
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from psycopg_pool import PoolTimeout

from backend.common.transient import is_transient

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5
RETRY_AFTER_TRANSIENT_S = 1
# PostgreSQL's own words for "not reachable now": class 08 (connection exception), shutting down,
# crashed, starting up (57P01–57P03), and every connection slot taken (53300).
_UNREACHABLE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def is_pool_exhausted(exc: BaseException) -> bool:
    return isinstance(exc, PoolTimeout) or (
        isinstance(exc, OperationalError) and isinstance(exc.__cause__, PoolTimeout)
    )


def is_database_unreachable(exc: BaseException) -> bool:
    """PostgreSQL could not be reached or the connection was lost (psycopg's own connection errors
    carry no SQLSTATE: "server closed the connection unexpectedly", "the connection is closed")."""
    cause = exc.__cause__ if isinstance(exc, OperationalError) else None
    if not isinstance(cause, psycopg.OperationalError) or isinstance(cause, PoolTimeout):
        return False
    state = cause.sqlstate
    return state is None or state.startswith("08") or state in _UNREACHABLE_SQLSTATES


class BusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_pool_exhausted(exception):
            retry_after = RETRY_AFTER_S
        elif isinstance(exception, OperationalError) and is_transient(exception):
            retry_after = RETRY_AFTER_TRANSIENT_S
        elif is_database_unreachable(exception):
            log.warning("%s %s: database unreachable: %s", request.method, request.path, exception)
            return unavailable_response(request)
        else:
            return None
        return busy_response(request, retry_after)


def busy_response(request: HttpRequest, retry_after: int = RETRY_AFTER_S) -> HttpResponse:
    """503 "busy, try again in ``retry_after`` seconds": JSON under ``/api/``, a short page elsewhere."""
    message = _("The server is busy. Please try again in a few seconds.")
    return _503(request, "busy", message, retry_after)


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 ``database_unavailable``: the database is out of reach for now (a restart, a failover)."""
    message = _("The server cannot reach its database right now. Please try again in a few seconds.")
    return _503(request, "database_unavailable", message, RETRY_AFTER_S)


def _503(request: HttpRequest, code: str, message: str, retry_after: int) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": code, "message": message, "details": {}}, status=503)
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
