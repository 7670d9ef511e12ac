"""Overload answers 503 "busy, try again", never 500 (issue 14's 1,000-answers bench found a 500).

When every database connection of a worker's pool is taken for longer than the pool's timeout,
the request that waited fails with ``PoolTimeout``. That is the server being full, not a bug and
not the client's fault: the client should come back in a moment, so it gets 503 with
``Retry-After``, as JSON under ``/api/`` and as a short page elsewhere (the customer's page, the
console). Nothing was written: the request never had a connection.

A deadlock or serialization failure that outlived the services' own retries
(``backend.common.transient``) is answered the same way, with a shorter Retry-After: its
transaction was rolled back whole, so the client's retry is safe.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from psycopg_pool import PoolTimeout

from backend.common.transient import is_transient

RETRY_AFTER_S = 5
RETRY_AFTER_TRANSIENT_S = 1


def is_pool_exhausted(exc: BaseException) -> bool:
    return isinstance(exc, PoolTimeout) or (
        isinstance(exc, OperationalError) and isinstance(exc.__cause__, PoolTimeout)
    )


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
        else:
            return None
        return busy_response(request, retry_after)


def busy_response(request: HttpRequest, retry_after: int = RETRY_AFTER_S) -> HttpResponse:
    """503 "busy, try again in ``retry_after`` seconds": JSON under ``/api/``, a short page elsewhere."""
    message = _("The server is busy. Please try again in a few seconds.")
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "busy", "message": message, "details": {}}, status=503)
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
