"""Celery app. Eager (in-process) unless REDIS_URL is set; see settings."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

app = Celery("parcelrun")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
