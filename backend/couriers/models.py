"""Stations, couriers, supervisors and territories. Fields and constraints only; writes live in services."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models


class Station(models.Model):
    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=100)
    address = models.CharField(max_length=255)
    lat = models.FloatField()
    lng = models.FloatField()
    time_zone = models.CharField(max_length=64, default="Asia/Shanghai")
    # Shown to customers on the negotiation pages (a bad link says whom to call); blank: not shown.
    phone = models.CharField(max_length=20, blank=True)
    # When, in the station's own time zone, the day's delivery prompts go out (docs/negotiation.md).
    morning_prompt_at = models.TimeField(default=time(8, 0))

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class VehicleType(models.TextChoices):
    E_TRICYCLE = "e_tricycle", "E-tricycle"
    E_BIKE = "e_bike", "E-bike"
    VAN = "van", "Van"
    ON_FOOT = "on_foot", "On foot"


# Typical payloads in the trade; a courier may override with their own vehicle's figures.
DEFAULT_CAPACITY = {
    VehicleType.E_TRICYCLE: (300_000, 1_500_000),  # grams, cm³
    VehicleType.E_BIKE: (60_000, 250_000),
    VehicleType.VAN: (1_000_000, 6_000_000),
    VehicleType.ON_FOOT: (20_000, 80_000),
}


class DutyStatus(models.TextChoices):
    OFF_DUTY = "off_duty", "Off duty"
    ON_DUTY = "on_duty", "On duty"
    ON_BREAK = "on_break", "On break"
    UNAVAILABLE = "unavailable", "Unavailable"


class Courier(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courier")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="couriers")
    employee_no = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    phone = models.CharField(max_length=20)
    vehicle_type = models.CharField(
        max_length=16, choices=VehicleType.choices, default=VehicleType.E_TRICYCLE
    )
    capacity_g = models.PositiveIntegerField(default=300_000)
    capacity_cm3 = models.PositiveBigIntegerField(default=1_500_000)
    duty_status = models.CharField(max_length=16, choices=DutyStatus.choices, default=DutyStatus.OFF_DUTY)
    shift_start = models.TimeField(default="08:00")
    shift_end = models.TimeField(default="20:00")

    def __str__(self) -> str:
        return f"{self.employee_no} {self.name}"


class Supervisor(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervisor")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="supervisors")
    name = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.name} @ {self.station.code}"


class Zone(models.Model):
    """A courier's territory: a list of postcodes plus address prefixes (see docs/architecture.md).

    Chinese addresses are hierarchical (district → street → community → building), so a prefix
    such as "西湖区文三路" pins a delivery area without drawing polygons; postcodes catch the rest.
    """

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="zones")
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=100)
    courier = models.ForeignKey(
        Courier, null=True, blank=True, on_delete=models.SET_NULL, related_name="zones"
    )
    postcodes = models.JSONField(default=list, blank=True)
    address_prefixes = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["station", "code"], name="zone_code_per_station")]

    def __str__(self) -> str:
        return f"{self.station.code}/{self.code}"
