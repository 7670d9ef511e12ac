"""retry_transient: a deadlock or serialization failure runs the service again; anything else does not."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError, transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from psycopg import errors as pg_errors

from backend.common import transient
from backend.common.busy import BusyMiddleware
from backend.common.transient import is_transient, retry_transient
from tests.fixtures.db_errors import as_django_raises


def deadlock() -> OperationalError:
    return as_django_raises(pg_errors.DeadlockDetected("deadlock detected"))


@pytest.fixture(autouse=True)
def no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transient.time, "sleep", lambda s: None)


def failing(times: int, error: OperationalError) -> tuple[list[int], object]:
    calls: list[int] = []

    @retry_transient
    def service() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "done"

    return calls, service


def test_a_deadlock_raised_once_is_retried() -> None:
    calls, service = failing(1, deadlock())
    assert service() == "done"  # type: ignore[operator]
    assert len(calls) == 2


def test_a_serialization_failure_is_retried_too() -> None:
    calls, service = failing(2, as_django_raises(pg_errors.SerializationFailure("could not serialize")))
    assert service() == "done"  # type: ignore[operator]
    assert len(calls) == 3


def test_it_gives_up_after_its_attempts() -> None:
    calls, service = failing(10, deadlock())
    with pytest.raises(OperationalError):
        service()  # type: ignore[operator]
    assert len(calls) == transient.ATTEMPTS


def test_other_database_errors_are_not_retried() -> None:
    calls, service = failing(1, as_django_raises(pg_errors.UndefinedTable("no such table")))
    with pytest.raises(OperationalError):
        service()  # type: ignore[operator]
    assert len(calls) == 1


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_caller_retries() -> None:
    calls, service = failing(1, deadlock())
    with pytest.raises(OperationalError), transaction.atomic():
        service()  # type: ignore[operator]
    assert len(calls) == 1


def test_the_backoff_doubles_with_jitter() -> None:
    for attempt in (1, 2, 3):
        base = transient.BACKOFF_S * 2 ** (attempt - 1)
        assert 0.5 * base <= transient.backoff_s(attempt) <= 1.5 * base


def test_what_escapes_the_retries_answers_503_not_500() -> None:
    assert is_transient(deadlock()) and not is_transient(OperationalError("deadlock detected"))
    request: HttpRequest = RequestFactory().post("/api/v1/reassignments")
    response = BusyMiddleware(lambda r: HttpResponse("ok")).process_exception(request, deadlock())
    assert response is not None
    assert (response.status_code, response["Retry-After"]) == (503, "1")
    assert json.loads(response.content)["code"] == "busy"
