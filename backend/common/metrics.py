"""The Prometheus metrics every layer records (docs/operations.md, "Metrics").

Definitions only, so any layer may import them; the ``/metrics`` view, the request-latency
middleware and the Celery signal hooks live in ``backend/monitoring.py``. Label values are
bounded sets (route patterns, op outcomes and codes, feed names, task names), never ids or paths,
so a series count stays small whatever the traffic.

With several worker processes (daphne × N, Celery prefork) set ``PROMETHEUS_MULTIPROC_DIR``:
prometheus-client then writes each process's values to files there and ``/metrics`` sums them
(gauges with ``multiprocess_mode="livesum"``: the open sockets of live processes only).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUEST_LATENCY = Histogram(
    "parcelrun_http_request_duration_seconds",
    "Time to answer an HTTP request, by the URL pattern it matched.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
SYNC_OPS = Counter(
    "parcelrun_sync_ops_total",
    "Handheld ops pushed, by outcome (applied, duplicate, rejected, retry) and refusal code.",
    ["outcome", "code"],
)
FEED_LAG = Histogram(
    "parcelrun_feed_lag_seconds",
    "From a change-feed row's commit to its live message leaving for a socket, by feed.",
    ["feed"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0),
)
OPEN_SOCKETS = Gauge(
    "parcelrun_websockets_open",
    "Websockets open now, by feed (courier, station, shipment).",
    ["feed"],
    multiprocess_mode="livesum",
)
TASK_FAILURES = Counter(
    "parcelrun_celery_task_failures_total",
    "Celery tasks that raised (after their retries), by task name.",
    ["task"],
)
TASK_RETRIES = Counter(
    "parcelrun_celery_task_retries_total",
    "Celery task retries, by task name.",
    ["task"],
)


def count_sync_results(results: list[dict[str, object]]) -> None:
    """One count per op result of a push (``sync.services.apply_ops``)."""
    for r in results:
        outcome = str(r.get("outcome") or "unknown")
        code = str(r.get("code") or "") if outcome != "applied" else ""
        SYNC_OPS.labels(outcome=outcome, code=code[:40]).inc()
