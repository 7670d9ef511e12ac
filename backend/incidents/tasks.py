"""Celery tasks of the incidents app (beat): each calls one service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from backend.incidents.services import detect_delays, detect_loss_suspects, incident_timers_tick


@shared_task(name="incidents.timers", ignore_result=True)
def timers() -> int:
    """Every five minutes: escalate incidents whose playbook clocks ran out."""
    return incident_timers_tick()


@shared_task(name="incidents.detect_loss", ignore_result=True)
def detect_loss() -> int:
    """Every quarter of an hour: parcels in our hands nobody scanned for too long."""
    return detect_loss_suspects()


@shared_task(name="incidents.detect_delays", ignore_result=True)
def detect_late() -> int:
    """Every five minutes: deliveries still open after their window ended."""
    return detect_delays()
