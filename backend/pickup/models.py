"""Tariff books per origin station and the station's label printers. Fields and constraints only."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.couriers.models import Station

RAW_PRINT_PORT = 9100


class TariffBookVersion(models.Model):
    """One published tariff book for an origin station; versions only ever go up.

    ``book`` is exactly what ``TariffBook.to_json()`` produced (its ``version`` is this row's version
    number as text), so the handheld receives the same bytes the server prices with. A book applies
    from ``effective_date``; the current one is the highest version already in effect.
    """

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(max_length=16)  # the station code the book's tariffs start from
    version = models.PositiveIntegerField()
    effective_date = models.DateField()
    book = models.JSONField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["origin", "version"], name="tariff_book_version_unique")
        ]

    def __str__(self) -> str:
        return f"tariffs {self.origin} v{self.version} from {self.effective_date}"


class Printer(models.Model):
    """A station's network label printer, printed to with raw TCP (JetDirect, port 9100)."""

    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=64)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=RAW_PRINT_PORT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["station", "name"], name="printer_name_per_station")]

    def __str__(self) -> str:
        return f"{self.name} ({self.host}:{self.port})"
