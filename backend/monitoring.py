"""Prometheus metrics: the ``/metrics`` endpoint, the request-latency middleware and the Celery
queue-depth collector (docs/operations.md, "Metrics"). The metric definitions are in
``backend/common/metrics.py`` so every layer can record them.

Who may read ``/metrics``: with ``PARCELRUN_METRICS_TOKEN`` set, a request carrying
``Authorization: Bearer <token>``; without a token, only a loopback client and only outside the
production profile (a reverse proxy on the same host makes every client look local, so production
needs the token). Anyone else gets the same 404 as an unknown URL: the endpoint says nothing.
"""

from __future__ import annotations

import atexit
import hmac
import os
import time
from collections.abc import Callable, Iterable
from typing import cast

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from backend.common.metrics import REQUEST_LATENCY

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
QUEUES = ("celery",)  # every task goes to the default queue (no task routes in settings)


class RequestMetricsMiddleware:
    """Latency per route: the URL pattern that matched (``api/v1/jobs/<int:job_id>``), never the
    raw path, so ids do not become series; a request no pattern matched counts as ``unmatched``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (match.route if match is not None else "") or "unmatched"
        method = request.method if request.method in _METHODS else "other"
        REQUEST_LATENCY.labels(method=method, route=route, status=str(response.status_code)).observe(
            time.perf_counter() - start
        )
        return response


class QueueDepthCollector(Collector):
    """Messages waiting in each Celery queue, read from the Redis broker when scraped."""

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "parcelrun_celery_queue_depth",
            "Celery messages waiting in the broker, by queue.",
            labels=["queue"],
        )
        url = str(getattr(settings, "CELERY_BROKER_URL", ""))
        if url.startswith(("redis://", "rediss://")):
            client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
            try:
                for queue in QUEUES:
                    depth = client.llen(queue)
                    family.add_metric([queue], float(cast(int, depth)))  # a sync client answers an int
            except redis.RedisError:
                pass  # the broker's own health is /readyz's business; a scrape still answers
            finally:
                client.close()
        yield family


def _allowed(request: HttpRequest) -> bool:
    token = str(getattr(settings, "PARCELRUN_METRICS_TOKEN", ""))
    if token:
        sent = request.headers.get("Authorization", "")
        return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    local = request.META.get("REMOTE_ADDR") in ("127.0.0.1", "::1")
    return local and not getattr(settings, "PRODUCTION", False)


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several processes (daphne × N, Celery prefork): sum what each wrote to the shared directory.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # A process that exits takes its open-socket gauge with it ("livesum" counts live processes:
    # prometheus-client forgets a process's gauges only when told it is gone).
    atexit.register(multiprocess.mark_process_dead, os.getpid())

_queue_registry = CollectorRegistry()
_queue_registry.register(QueueDepthCollector())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return JsonResponse({"code": "not_found", "message": "not found", "details": {}}, status=404)
    body = generate_latest(_registry()) + generate_latest(_queue_registry)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
