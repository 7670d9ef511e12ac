"""Reads about courier locations."""

from __future__ import annotations

from backend.locations.models import CourierLocation
from backend.shipments.models import Job
from backend.shipments.states import JobStatus


def next_stop_shipment_id(*, courier_id: int) -> int | None:
    """The shipment of the job the courier is on the way to (a started job), if any."""
    return (
        Job.objects.filter(courier_id=courier_id, status=JobStatus.STARTED)
        .order_by("planned_seq", "pk")
        .values_list("shipment_id", flat=True)
        .first()
    )


def latest_location(*, courier_id: int) -> CourierLocation | None:
    return CourierLocation.objects.filter(courier_id=courier_id).order_by("-received_at").first()
