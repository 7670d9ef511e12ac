"""The admin as a station manager sees it: their stations, those stations' people, zones and tariff
books, and nothing of any other station.

Django's own permissions are per model, not per station, so they cannot say "the couriers of
HZ01 and HZ02". For a station manager (who is not a superuser) these admins answer instead of
Django's permissions: every list is filtered to their stations, every station or courier drop-down
offers only theirs, and an object of another station is neither shown nor changed (the admin
answers as for one that does not exist). Everyone else keeps Django's behaviour unchanged.

The model admins of ``couriers`` are re-registered here as subclasses (this app sits above couriers
in the layers), as ``stations.admin`` does for the station page and ``admin_tariffs`` for the books.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from backend.accounts.roles import principal_of
from backend.couriers.admin import CourierAdmin, SupervisorAdmin, ZoneAdmin
from backend.couriers.models import Courier, Station, Supervisor, Zone

_CACHE = "_parcelrun_managed_stations"


def managed_stations(request: HttpRequest) -> frozenset[int] | None:
    """The stations the signed-in manager runs; None when Django's permissions apply (a superuser,
    or staff who is no manager). Read once per request (an admin page asks every model admin for
    its permissions): a view that grants a station calls ``forget_managed_stations`` after it."""
    if hasattr(request, _CACHE):
        cached: frozenset[int] | None = getattr(request, _CACHE)
        return cached
    user = request.user
    ids = None
    if getattr(user, "is_authenticated", False) and not getattr(user, "is_superuser", False):
        who = principal_of(user)
        ids = who.managed_station_ids if who.is_manager else None
    setattr(request, _CACHE, ids)
    return ids


def forget_managed_stations(request: HttpRequest) -> None:
    if hasattr(request, _CACHE):
        delattr(request, _CACHE)


class ManagedScope(admin.ModelAdmin):  # type: ignore[type-arg]
    """Mix in before a model admin. ``station_path`` reaches the object's station; ``manager_may``
    lists what a manager may do with the model's objects at their stations."""

    station_path = "station"
    manager_may: frozenset[str] = frozenset({"view"})

    def _station_of(self, obj: Model) -> int:
        return int(obj.pk if self.station_path == "pk" else getattr(obj, f"{self.station_path}_id"))

    def _allows(self, request: HttpRequest, action: str, obj: Model | None) -> bool | None:
        """True/False for a manager; None: not a manager, ask Django."""
        ids = managed_stations(request)
        if ids is None:
            return None
        return action in self.manager_may and (obj is None or self._station_of(obj) in ids)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        ids = managed_stations(request)
        return qs if ids is None else qs.filter(**{f"{self.station_path}__in": ids})

    def get_list_filter(self, request: HttpRequest) -> Any:
        # A station or courier filter would list every station's: offer only those in the list.
        filters = super().get_list_filter(request)
        if managed_stations(request) is None:
            return filters
        return [(f, admin.RelatedOnlyFieldListFilter) if f in ("station", "courier") else f for f in filters]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        ids = managed_stations(request)
        if ids is not None and db_field.related_model is Station:
            kwargs["queryset"] = Station.objects.filter(pk__in=ids).order_by("code")
        elif ids is not None and db_field.related_model is Courier:
            kwargs["queryset"] = Courier.objects.filter(station_id__in=ids).order_by("employee_no")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return managed_stations(request) is not None or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = self._allows(request, "view", obj)
        return super().has_view_permission(request, obj) if allowed is None else allowed

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        allowed = self._allows(request, "add", None)
        return super().has_add_permission(request, *args) if allowed is None else allowed

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = self._allows(request, "change", obj)
        return super().has_change_permission(request, obj) if allowed is None else allowed

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = self._allows(request, "delete", obj)
        return super().has_delete_permission(request, obj) if allowed is None else allowed


class ManagedCourierAdmin(ManagedScope, CourierAdmin):
    manager_may = frozenset({"view", "add", "change"})  # couriers are never deleted: their jobs keep them


class ManagedSupervisorAdmin(ManagedScope, SupervisorAdmin):
    manager_may = frozenset({"view", "add", "change", "delete"})  # deleting ends the role; the user stays


class ManagedZoneAdmin(ManagedScope, ZoneAdmin):
    manager_may = frozenset({"view", "add", "change", "delete"})


for model, model_admin in (
    (Courier, ManagedCourierAdmin),
    (Supervisor, ManagedSupervisorAdmin),
    (Zone, ManagedZoneAdmin),
):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
