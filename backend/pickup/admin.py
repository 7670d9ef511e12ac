from django.contrib import admin

from backend.pickup.models import Printer, TariffBookVersion


@admin.register(Printer)
class PrinterAdmin(admin.ModelAdmin[Printer]):
    list_display = ["name", "station", "host", "port"]
    list_filter = ["station"]


@admin.register(TariffBookVersion)
class TariffBookVersionAdmin(admin.ModelAdmin[TariffBookVersion]):
    """Read-only: books are published through the API (validated, versioned, announced on the feed)."""

    list_display = ["origin", "version", "effective_date", "published_at", "published_by"]
    list_filter = ["origin"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
