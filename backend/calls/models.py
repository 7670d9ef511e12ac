"""A virtual number lent for one courier's calls about one job, until it expires."""

from __future__ import annotations

from django.db import models

from backend.couriers.models import Courier
from backend.shipments.models import Job


class NumberBinding(models.Model):
    """What the provider lent: the number and extension the courier dials, and until when.

    The customer's real number is not kept here: the provider holds the pairing, and the
    shipment already holds the phone (docs/security.md, the phone guard).
    """

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="+")
    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=64, unique=True)
    provider = models.CharField(max_length=32)
    provider_id = models.CharField(max_length=128)
    number = models.CharField(max_length=16)
    extension = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["job", "courier", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.number},{self.extension} for job {self.job_id}"

    @property
    def dial(self) -> str:
        """What the phone dials: the number, a pause (",") and the extension when there is one."""
        return f"{self.number},{self.extension}" if self.extension else self.number
