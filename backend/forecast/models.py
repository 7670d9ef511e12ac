"""Stored forecasts: one run per station and night, and its days. Fields and constraints only;
rows are written by ``backend.forecast.services.forecast_compute`` alone, which replaces a
station-night's run as a whole (docs/forecast.md)."""

from __future__ import annotations

from django.db import models

from backend.couriers.models import Station


class ForecastRun(models.Model):
    """The forecast a station got on the night of ``issued_on`` (its local date): its first day is
    the day after. Also what the run measured: the couriers' capacity and the backtest."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+", db_index=False)
    issued_on = models.DateField()
    computed_at = models.DateTimeField()
    history_days = models.PositiveIntegerField()  # days of history the model saw
    method = models.CharField(max_length=24)  # model.Fit.method
    calendar_known = models.BooleanField()  # the official holiday calendar covers every day forecast
    stops_per_hour = models.FloatField()  # the station's courier rate used for staffing
    shift_hours = models.FloatField()
    capacity_measured = models.BooleanField()  # False: no courier history, the default rate
    couriers = models.JSONField(default=list)  # per courier: id, name, employee_no, stops, hours, rate
    shares = models.JSONField(default=dict)  # series → part of a day known on its eve (or null)
    backtest = models.JSONField(default=dict)  # series → backtest.Backtest fields

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["station", "issued_on"], name="forecast_run_station_day")
        ]

    def __str__(self) -> str:
        return f"forecast {self.station_id} {self.issued_on}"


class ForecastDay(models.Model):
    """One forecast day. ``*_model`` is the model's figure; ``pickups``/``deliveries`` what is
    published (tomorrow: with the nowcast from what is already known)."""

    run = models.ForeignKey(ForecastRun, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    horizon = models.PositiveSmallIntegerField()  # 1 = tomorrow
    pickups = models.PositiveIntegerField()
    deliveries = models.PositiveIntegerField()
    pickups_model = models.PositiveIntegerField()
    deliveries_model = models.PositiveIntegerField()
    pickups_known = models.PositiveIntegerField(default=0)  # booked already (tomorrow only)
    deliveries_known = models.PositiveIntegerField(default=0)  # open delivery jobs (tomorrow only)
    deliveries_in_transit = models.PositiveIntegerField(default=0)  # of those, not yet at the station
    couriers_needed = models.PositiveIntegerField()
    holiday = models.BooleanField(default=False)
    peak = models.CharField(max_length=16, blank=True)  # "11.11", "6.18", "spring" or ""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "day"], name="forecast_day_run_day")]
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} P{self.pickups} D{self.deliveries}"
