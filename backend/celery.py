"""Celery app. Eager (in-process) unless REDIS_URL is set; see settings."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_failure, task_postrun, task_prerun, task_retry

from backend.common.metrics import TASK_FAILURES, TASK_RETRIES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

app = Celery("parcelrun")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery's Django fixup closes every database connection before and after each task and, in a
# prefork child with a connection pool, the whole pool (celery/fixups/django.py, _close_database):
# each task opened a new PostgreSQL connection, a backend forked and authenticated for a task
# that runs a few milliseconds (11 % of the worker's CPU in bench/realtime.py). A child runs one
# task at a time, so it keeps its connection: the fixup closes only every 2 × DB_REUSE_MAX tasks,
# and around each task Django's own check hands the connection back to the pool (CONN_MAX_AGE 0)
# or drops a broken or obsolete one, as at the end of a web request.
app.conf["CELERY_DB_REUSE_MAX"] = 50_000


@task_prerun.connect
@task_postrun.connect
def _release_connection(sender: Any = None, **_: Any) -> None:
    # Not for an eager task: it runs inside its caller's request, perhaps inside a transaction,
    # whose connection must stay as it is.
    if not getattr(getattr(sender, "request", None), "is_eager", False):
        from django.db import close_old_connections

        close_old_connections()


@task_failure.connect
def _count_failure(sender: Any = None, **_: Any) -> None:
    TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()


@task_retry.connect
def _count_retry(sender: Any = None, **_: Any) -> None:
    TASK_RETRIES.labels(task=getattr(sender, "name", "unknown")).inc()
