"""Reads about courier locations."""

from __future__ import annotations

from backend.locations.models import CourierLocation


def latest_location(*, courier_id: int) -> CourierLocation | None:
    return CourierLocation.objects.filter(courier_id=courier_id).order_by("-received_at").first()
