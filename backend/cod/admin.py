"""The shift's cash ledger in the admin: viewable, never editable (append-only; writes go through services)."""

from __future__ import annotations

from django.contrib import admin

from backend.cod.models import Declaration, Handover, ShiftClose, Variance
from backend.shipments.admin import ReadOnlyAdmin


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin[Handover]):
    list_display = [
        "pk",
        "service_date",
        "courier",
        "expected_fen",
        "received_fen",
        "confirmed_by",
        "confirmed_at",
    ]
    list_filter = ["station", "service_date"]


@admin.register(Variance)
class VarianceAdmin(ReadOnlyAdmin[Variance]):
    list_display = [
        "pk",
        "service_date",
        "courier",
        "amount_fen",
        "reason",
        "supervisor_signed_by",
        "courier_signed_at",
    ]
    list_filter = ["station", "service_date"]


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin[Declaration]):
    list_display = ["pk", "courier", "declared_fen", "declared_at"]


@admin.register(ShiftClose)
class ShiftCloseAdmin(ReadOnlyAdmin[ShiftClose]):
    list_display = ["pk", "service_date", "courier", "closed_by", "closed_at"]
    list_filter = ["station", "service_date"]
