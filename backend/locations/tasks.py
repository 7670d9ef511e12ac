"""Periodic upkeep of locations. Schedule ``locations.purge`` hourly with Celery beat (docs/operations.md)."""

from __future__ import annotations

from celery import shared_task

from backend.locations.services import locations_purge


@shared_task(name="locations.purge", ignore_result=True)
def purge_old_locations() -> int:
    # Safe to run twice or concurrently: each run deletes whatever is past the cutoff.
    return locations_purge()
