"""Celery app. Eager (in-process) unless REDIS_URL is set; see settings."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_failure, task_retry

from backend.common.metrics import TASK_FAILURES, TASK_RETRIES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

app = Celery("parcelrun")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_failure.connect
def _count_failure(sender: Any = None, **_: Any) -> None:
    TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()


@task_retry.connect
def _count_retry(sender: Any = None, **_: Any) -> None:
    TASK_RETRIES.labels(task=getattr(sender, "name", "unknown")).inc()
