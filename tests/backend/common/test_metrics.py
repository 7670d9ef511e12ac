"""Prometheus metrics (issue 16): who may read /metrics, latency by route pattern, sync outcomes,
Celery failures and queue depth. Values are read before and after, so other tests' samples in the
same process do not matter."""

from __future__ import annotations

import os

import pytest
import redis
from celery.signals import task_failure
from django.test import Client
from prometheus_client import REGISTRY

from backend.sync.tasks import expire_abandoned_uploads
from tests.backend.sync.helpers import op, push, ready_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_are_for_a_token_or_a_local_client_outside_production(settings) -> None:
    settings.PARCELRUN_METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 200  # the test client is 127.0.0.1
    assert Client(REMOTE_ADDR="10.0.0.7").get("/metrics").status_code == 404
    settings.PRODUCTION = True  # nginx on the host makes everyone local: production needs the token
    assert Client().get("/metrics").status_code == 404

    settings.PARCELRUN_METRICS_TOKEN = "s3cret-scrape"
    far = Client(REMOTE_ADDR="10.0.0.7")
    assert far.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    r = far.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/plain")
    assert b"parcelrun_http_request_duration_seconds" in r.content


def test_latency_is_recorded_per_route_pattern_not_per_path(courier: tuple[object, Person]) -> None:
    _, me = courier
    route = "api/v1/jobs/<int:job_id>"
    before = sample("parcelrun_http_request_duration_seconds_count", method="GET", route=route, status="404")
    Client().get("/api/v1/jobs/987654", **me.auth)
    Client().get("/api/v1/jobs/987655", **me.auth)
    after = sample("parcelrun_http_request_duration_seconds_count", method="GET", route=route, status="404")
    assert after - before == 2
    text = Client().get("/metrics").content.decode()
    # No label names the raw path (a bare "987654" could be digits of some sample's float value).
    assert "jobs/987654" not in text and 'route="api/v1/jobs/<int:job_id>"' in text


def test_sync_ops_are_counted_by_outcome_and_code(station, supervisor, courier) -> None:
    mine, me = courier
    job = ready_job(station, supervisor, mine)
    duplicate = sample("parcelrun_sync_ops_total", outcome="duplicate", code="")
    applied = sample("parcelrun_sync_ops_total", outcome="applied", code="")
    refused = sample("parcelrun_sync_ops_total", outcome="rejected", code="malformed_op")
    start = op(me, "start", {"job_id": job.pk})
    push(me, [start, op(me, "start", {"job_id": "x"})])
    push(me, [start])
    assert sample("parcelrun_sync_ops_total", outcome="applied", code="") - applied == 1
    assert sample("parcelrun_sync_ops_total", outcome="rejected", code="malformed_op") - refused == 1
    assert sample("parcelrun_sync_ops_total", outcome="duplicate", code="") - duplicate == 1


def test_a_failed_celery_task_is_counted_by_name() -> None:
    name = "sync.expire_abandoned_uploads"
    before = sample("parcelrun_celery_task_failures_total", task=name)
    task_failure.send(sender=expire_abandoned_uploads, task_id="t1", exception=RuntimeError())
    assert sample("parcelrun_celery_task_failures_total", task=name) - before == 1


@pytest.mark.redis
def test_the_queue_depth_is_read_from_the_redis_broker(settings) -> None:
    url = os.environ["REDIS_URL"]
    settings.CELERY_BROKER_URL = url
    client = redis.Redis.from_url(url)
    client.delete("celery")
    client.lpush("celery", b"{}", b"{}", b"{}")
    try:
        text = Client().get("/metrics").content.decode()
    finally:
        client.delete("celery")
    assert 'parcelrun_celery_queue_depth{queue="celery"} 3.0' in text
