"""The nightly roll-up of a station's KPIs: one row per station, courier (or none), day and metric.

Fields and constraints only; rows are written by ``backend.kpis.services.kpi_rollup`` alone, which
replaces a station-day's rows as a whole. Definitions: docs/kpis.md.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import pgettext_lazy

from backend.couriers.models import Courier, Station


class Metric(models.TextChoices):
    ON_TIME = "on_time", pgettext_lazy("kpis", "On time")
    FIRST_ATTEMPT = "first_attempt", pgettext_lazy("kpis", "First-attempt success")
    ATTEMPTS = "attempts", pgettext_lazy("kpis", "Attempts per parcel")
    PICKUP_ON_TIME = "pickup_on_time", pgettext_lazy("kpis", "Pickups on time")
    SCAN_TIMELY = "scan_timely", pgettext_lazy("kpis", "Scans uploaded in time")
    MIS_SORT = "mis_sort", pgettext_lazy("kpis", "Mis-sorts")
    PROOF_COMPLETE = "proof_complete", pgettext_lazy("kpis", "Proof complete")
    CONSENT_COMPLETE = "consent_complete", pgettext_lazy("kpis", "Consent complete")


class KpiDay(models.Model):
    """``numerator / denominator`` of one metric: a rate, or (``attempts``) an average per parcel.

    ``day`` is the station's local date of the events' device time. ``courier`` empty: the whole
    station (which also counts what no courier recorded, so it is not the sum of the couriers).
    """

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+", db_index=False)
    courier = models.ForeignKey(
        Courier, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    day = models.DateField()
    metric = models.CharField(max_length=20, choices=Metric.choices)
    numerator = models.PositiveIntegerField()
    denominator = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            # Two partial constraints: a NULL courier would otherwise never collide with itself.
            models.UniqueConstraint(
                fields=["station", "day", "metric"],
                condition=models.Q(courier__isnull=True),
                name="kpi_day_station_metric",
            ),
            models.UniqueConstraint(
                fields=["station", "day", "metric", "courier"],
                condition=models.Q(courier__isnull=False),
                name="kpi_day_courier_metric",
            ),
            models.CheckConstraint(
                condition=models.Q(denominator__gt=0), name="kpi_day_denominator_positive"
            ),
        ]
        indexes = [models.Index(fields=["station", "day"], name="kpi_day_station_day")]

    def __str__(self) -> str:
        return f"{self.metric} {self.day} {self.numerator}/{self.denominator}"
