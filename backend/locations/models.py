"""Where couriers are: one row per accepted location ping, kept for a bounded time.

Fields and constraints only; writes go through ``backend.locations.services``.
"""

from __future__ import annotations

from django.db import models

from backend.couriers.models import Courier


class CourierLocation(models.Model):
    """A courier's position as their device reported it.

    ``recorded_at`` is the device's clock (when the fix was taken); ``received_at`` is ours and
    is what rate limiting and retention use, because a device clock can be anything.
    """

    courier = models.ForeignKey(Courier, on_delete=models.CASCADE, related_name="locations")
    device_id = models.CharField(max_length=64)
    lat = models.FloatField()
    lng = models.FloatField()
    accuracy_m = models.FloatField()
    recorded_at = models.DateTimeField()
    received_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["courier", "-received_at"]),
            models.Index(fields=["device_id", "-received_at"]),
            models.Index(fields=["received_at"]),  # the retention purge deletes by age
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(lat__gte=-90, lat__lte=90), name="location_lat_range"),
            models.CheckConstraint(
                condition=models.Q(lng__gte=-180, lng__lte=180), name="location_lng_range"
            ),
            models.CheckConstraint(condition=models.Q(accuracy_m__gte=0), name="location_accuracy_positive"),
        ]

    def __str__(self) -> str:
        return f"courier {self.courier_id} at ({self.lat:.5f}, {self.lng:.5f})"
