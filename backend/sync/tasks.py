"""Celery tasks of the sync app: each calls one service and is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from backend.sync.services.attachments import attachments_expire_abandoned


@shared_task(name="sync.expire_abandoned_uploads", ignore_result=True)
def expire_abandoned_uploads() -> int:
    """Drop uploads idle past ``PARCELRUN_UPLOAD_ABANDON_HOURS`` (beat, hourly); their bytes in
    progress stop counting against the uploader's quota."""
    return attachments_expire_abandoned(now=timezone.now())
