"""Blocks of waybill serials handed to handhelds so they can issue tracking numbers offline."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class WaybillBlock(models.Model):
    """Serials ``first_serial..last_serial`` (inclusive) belong to one device until it closes the block.

    The serials come from the one waybill counter, so two blocks never overlap and a server-issued
    number never falls inside a block. When a device closes a block it reports which serials it used;
    the rest are void for ever (a printed-but-unused label may still be out there).
    """

    device_id = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    first_serial = models.PositiveBigIntegerField()
    last_serial = models.PositiveBigIntegerField()
    allocated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    used_count = models.PositiveIntegerField(default=0)
    void_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_serial__gte=models.F("first_serial")), name="waybill_block_not_empty"
            ),
            models.UniqueConstraint(fields=["first_serial"], name="waybill_block_first_unique"),
        ]
        indexes = [models.Index(fields=["device_id", "closed_at"])]

    def __str__(self) -> str:
        return f"{self.device_id}: {self.first_serial}–{self.last_serial}"

    @property
    def size(self) -> int:
        return self.last_serial - self.first_serial + 1
