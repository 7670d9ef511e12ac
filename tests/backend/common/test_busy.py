"""A full database pool answers 503 with Retry-After, as JSON under /api/ and as text elsewhere."""

from __future__ import annotations

import json as json_module

import pytest
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from psycopg_pool import PoolTimeout

from backend.common.busy import BusyMiddleware


def _pool_timeout() -> OperationalError:
    # As Django raises it: its OperationalError wrapping the pool's PoolTimeout.
    try:
        try:
            raise PoolTimeout("couldn't get a connection after 10.00 sec")
        except PoolTimeout as exc:
            raise OperationalError(str(exc)) from exc
    except OperationalError as wrapped:
        return wrapped


def _middleware() -> BusyMiddleware:
    return BusyMiddleware(lambda request: HttpResponse("ok"))


@pytest.mark.parametrize(("path", "json"), [("/api/v1/sync/push", True), ("/n/some-token/", False)])
def test_a_full_pool_answers_503_with_retry_after(path: str, json: bool) -> None:
    request: HttpRequest = RequestFactory().get(path)
    response = _middleware().process_exception(request, _pool_timeout())
    assert response is not None
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    if json:
        assert json_module.loads(response.content)["code"] == "busy"
    else:
        assert "busy" in response.content.decode()


def test_other_database_errors_are_left_alone() -> None:
    request: HttpRequest = RequestFactory().get("/api/v1/me/jobs")
    assert _middleware().process_exception(request, OperationalError("deadlock detected")) is None
    assert _middleware().process_exception(request, ValueError("a bug")) is None
