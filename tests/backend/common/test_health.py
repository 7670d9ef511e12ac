"""/healthz answers while the process serves; /readyz asks PostgreSQL, Redis and the broker."""

from __future__ import annotations

import pytest
from django.test import Client

from backend import health


@pytest.mark.django_db
def test_liveness_touches_nothing(django_assert_num_queries: object) -> None:
    with django_assert_num_queries(0):  # type: ignore[operator]
        r = Client().get("/healthz")
    assert (r.status_code, r.json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_readiness_reports_each_service_and_fails_when_one_does_not_answer(settings: object) -> None:
    r = Client().get("/readyz")
    assert r.status_code == 200
    assert set(r.json()["checks"]) == {"database", "redis", "broker"}
    assert r.json()["checks"]["database"]["status"] == "ok"
    # A Redis nobody listens on: not ready, with the reason, never a 500.
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # type: ignore[attr-defined]
    r = Client().get("/readyz")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable"
    assert r.json()["checks"]["redis"]["status"].startswith("error: ")


@pytest.mark.redis
@pytest.mark.django_db
def test_readiness_with_the_real_redis_and_broker() -> None:
    # Marked redis: the suite runs it with REDIS_URL set (settings read it), as CI does.
    r = Client().get("/readyz")
    checks = r.json()["checks"]
    assert checks["redis"]["status"] == "ok"
    assert checks["broker"]["status"] in ("ok", "embedded")
    assert health.CHECKS.keys() == checks.keys()
