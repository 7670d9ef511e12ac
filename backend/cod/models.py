"""The shift's cash ledger: declarations, handovers, variances, shift closes. Append-only, integer fen.

The money taken at the door is ``shipments.Collection`` (written with the delivery or the pickup
by the one write path). Here is what happens to the cash afterwards: the courier declares what
they count, a supervisor confirms what they received (a ``Handover`` that takes in each cash
collection still held, once: ``HandoverItem``), any difference becomes a ``Variance`` with its
reason and both sign-offs, and the shift closes (``ShiftClose``). Rows are never updated except a
variance's courier sign-off, which is set once. Fields and constraints only; writes are in
``services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from backend.couriers.models import Courier, Station
from backend.shipments.models import Collection


class Declaration(models.Model):
    """What the courier says they hand over (their count), from the handheld; online or offline."""

    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+", db_index=False)
    declared_fen = models.BigIntegerField()
    declared_at = models.DateTimeField()  # the device's clock
    recorded_at = models.DateTimeField()
    op_id = models.CharField(max_length=80, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(declared_fen__gte=0), name="declared_not_negative")
        ]

    def __str__(self) -> str:
        return f"courier {self.courier_id} declares {self.declared_fen} fen"


class Handover(models.Model):
    """A supervisor received ``received_fen`` of the ``expected_fen`` cash the courier held."""

    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+", db_index=False)
    service_date = models.DateField()  # the station's local date of the handover
    expected_fen = models.BigIntegerField()  # the sum of the collections it takes in
    received_fen = models.BigIntegerField()
    declared = models.ForeignKey(
        Declaration, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField()
    op_id = models.CharField(max_length=80, blank=True)

    class Meta:
        indexes = [models.Index(fields=["station", "service_date"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(received_fen__gte=0), name="received_not_negative")
        ]

    def __str__(self) -> str:
        return f"handover {self.pk}: {self.received_fen}/{self.expected_fen} fen"


class HandoverItem(models.Model):
    """A cash collection taken in by a handover: each one exactly once (the unique collection)."""

    handover = models.ForeignKey(Handover, on_delete=models.PROTECT, related_name="items")
    collection = models.OneToOneField(Collection, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"collection {self.collection_id} in handover {self.handover_id}"


class Variance(models.Model):
    """A handover's difference (``received - expected``: negative is short), never adjusted silently.

    The supervisor signs it when confirming the handover (the reason is theirs); the courier signs
    it afterwards from the handheld. The supervisor's signature settles the shift's cash.
    """

    handover = models.OneToOneField(Handover, on_delete=models.PROTECT, related_name="variance")
    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+", db_index=False)
    service_date = models.DateField()
    amount_fen = models.BigIntegerField()
    reason = models.CharField(max_length=200)
    supervisor_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    supervisor_signed_at = models.DateTimeField()
    courier_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    courier_signed_at = models.DateTimeField(null=True, blank=True)
    courier_note = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["station", "service_date"])]
        constraints = [models.CheckConstraint(condition=~models.Q(amount_fen=0), name="variance_not_zero")]

    def __str__(self) -> str:
        return f"variance {self.amount_fen} fen on handover {self.handover_id}"


class ShiftClose(models.Model):
    """The courier's shift closed with no cash held (or the difference signed by a supervisor)."""

    courier = models.ForeignKey(Courier, on_delete=models.PROTECT, related_name="+")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+", db_index=False)
    service_date = models.DateField()
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    handover = models.ForeignKey(Handover, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"courier {self.courier_id} closed {self.service_date}"
