"""A full database pool, or a database out of reach, answers 503 with Retry-After (JSON under /api/,
text elsewhere), not 500."""

from __future__ import annotations

import json as json_module

import psycopg
import pytest
from django.db import OperationalError, close_old_connections, connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from psycopg import errors as pg_errors
from psycopg_pool import PoolTimeout

from backend.common.busy import BusyMiddleware, is_database_unreachable
from tests.fixtures.db_errors import as_django_raises


def _pool_timeout() -> OperationalError:
    return as_django_raises(PoolTimeout("couldn't get a connection after 10.00 sec"))


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


def test_connection_errors_are_told_apart_from_bugs() -> None:
    assert is_database_unreachable(as_django_raises(psycopg.OperationalError("server closed the connection")))
    assert is_database_unreachable(as_django_raises(pg_errors.AdminShutdown("terminating connection")))
    assert is_database_unreachable(as_django_raises(pg_errors.TooManyConnections("sorry, too many clients")))
    assert is_database_unreachable(
        as_django_raises(pg_errors.CannotConnectNow("the database system is starting up"))
    )
    assert not is_database_unreachable(as_django_raises(pg_errors.DeadlockDetected("deadlock detected")))
    assert not is_database_unreachable(as_django_raises(pg_errors.QueryCanceled("statement timeout")))
    assert not is_database_unreachable(_pool_timeout())  # that one is "busy"
    assert not is_database_unreachable(OperationalError("no cause"))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_request_whose_database_connection_was_killed_answers_503_not_500(courier) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL kills the worker's connection (a restart, a failover, an administrator): the
    request that meets the dead connection is told to come back, and the next one reconnects."""
    client = Client(raise_request_exception=False)
    auth = {"HTTP_AUTHORIZATION": f"Token {courier[1].token}"}
    assert client.get("/api/v1/me/jobs", **auth).status_code == 200
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
    try:
        lost = client.get("/api/v1/me/jobs", **auth)
        assert (lost.status_code, lost["Retry-After"]) == (503, "5")
        assert json_module.loads(lost.content)["code"] == "database_unavailable"
        # What Django does at the end of every request (the test client leaves it out): a
        # connection that failed is dropped, so the next request opens a fresh one.
        close_old_connections()
        assert client.get("/api/v1/me/jobs", **auth).status_code == 200
    finally:
        connection.close()
