"""Stations, couriers, supervisors and territories in the admin.

These are configuration, not lifecycle records, so they are editable. Creating a courier or a
supervisor also creates the user they log in with, so those two "add" pages go through
``backend.couriers.services``; a courier's edits go through ``courier_update`` (which refuses a
station move while they hold open jobs or territories), duty changes through ``courier_set_duty``.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from backend.common.errors import DomainError
from backend.common.validators import clean_coordinates, clean_phone
from backend.couriers import services
from backend.couriers.models import Courier, DutyStatus, Station, Supervisor, Zone
from backend.couriers.selectors import STATION_CODE


class StationForm(forms.ModelForm[Station]):
    class Meta:
        model = Station
        fields: tuple[str, ...] = (
            "code",
            "name",
            "address",
            "lat",
            "lng",
            "time_zone",
            "phone",
            "morning_prompt_at",
        )

    def clean_time_zone(self) -> str:
        value = str(self.cleaned_data["time_zone"])
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(f"{value!r} is not an IANA time zone such as Asia/Shanghai") from None
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lat, lng = data.get("lat"), data.get("lng")
        if lat is not None and lng is not None:
            try:
                clean_coordinates(lat, lng)
            except DomainError as exc:
                self.add_error("lat", exc.message)
        return data


class StationCreateForm(StationForm):
    class Meta(StationForm.Meta):
        fields = ("code", "name", "address", "lat", "lng", "time_zone", "phone")

    def clean_code(self) -> str:
        value = str(self.cleaned_data["code"]).strip()
        if not STATION_CODE.fullmatch(value):
            raise forms.ValidationError("1–16 letters, digits, - or _ (it appears in URLs and on labels)")
        return value

    def clean_phone(self) -> str:
        value = str(self.cleaned_data["phone"]).strip()
        if value:
            try:
                clean_phone(value)
            except DomainError as exc:
                raise forms.ValidationError(exc.message) from None
        return value


@admin.register(Station)
class StationAdmin(admin.ModelAdmin[Station]):
    """A new station goes through ``station_create`` (as the import command does); its settings stay
    editable here. Its people, zones and tariff book have their own pages (or ``import_station``)."""

    form = StationForm
    add_form = StationCreateForm
    list_display = ("code", "name", "address", "time_zone", "lat", "lng")
    search_fields = ("code", "name", "address")
    ordering = ("code",)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request: HttpRequest, obj: Station, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        station = services.station_create(
            code=data["code"],
            name=data["name"],
            address=data["address"],
            lat=data["lat"],
            lng=data["lng"],
            time_zone=data["time_zone"],
            phone=data["phone"],
        )
        _adopt(obj, station)


class CourierForm(forms.ModelForm[Courier]):
    class Meta:
        model = Courier
        fields: tuple[str, ...] = (
            "station",
            "employee_no",
            "name",
            "phone",
            "vehicle_type",
            "capacity_g",
            "capacity_cm3",
            "shift_start",
            "shift_end",
        )

    def clean_phone(self) -> str:
        try:
            return clean_phone(str(self.cleaned_data["phone"]))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_station(self) -> Station:
        station: Station = self.cleaned_data["station"]
        if self.instance.pk is not None:
            try:
                services.check_station_move(Courier.objects.get(pk=self.instance.pk), station.pk)
            except DomainError as exc:
                raise forms.ValidationError(exc.message) from None
        return station


class CourierCreateForm(CourierForm):
    password = forms.CharField(
        widget=forms.PasswordInput,
        min_length=8,
        help_text="they log in with the employee number and this password",
    )

    class Meta(CourierForm.Meta):
        fields = ("station", "employee_no", "name", "phone", "vehicle_type")

    def clean_employee_no(self) -> str:
        value = str(self.cleaned_data["employee_no"]).strip()
        if User.objects.filter(username=services.courier_username(value)).exists():
            raise forms.ValidationError("a user for this employee number already exists")
        return value


def _adopt(obj: Model, created: Model) -> None:
    """Make the admin's unsaved ``obj`` the row a service created, so logging and the redirect use it."""
    for f in type(created)._meta.concrete_fields:
        setattr(obj, f.attname, getattr(created, f.attname))
    obj._state.adding = False
    obj._state.db = created._state.db


@admin.register(Courier)
class CourierAdmin(admin.ModelAdmin[Courier]):
    form = CourierForm
    add_form = CourierCreateForm
    list_display = (
        "employee_no",
        "name",
        "station",
        "phone",
        "vehicle_type",
        "capacity_g",
        "duty_status",
        "user",
    )
    list_filter = ("station", "duty_status", "vehicle_type")
    search_fields = ("employee_no", "name", "phone", "user__username")
    list_select_related = ("station", "user")
    ordering = ("employee_no",)
    actions = ("set_on_duty", "set_off_duty")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if obj is None else ("user", "duty_status")

    def save_model(self, request: HttpRequest, obj: Courier, form: Any, change: bool) -> None:
        if change:  # through the service: it re-checks a station move under the courier's lock
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            _adopt(obj, services.courier_update(courier_id=obj.pk, changes=changed))
            return
        data = form.cleaned_data
        courier = services.courier_create(
            station_id=data["station"].pk,
            employee_no=data["employee_no"],
            name=data["name"],
            phone=data["phone"],
            password=data["password"],
            vehicle_type=data["vehicle_type"],
        )
        _adopt(obj, courier)

    def delete_model(self, request: HttpRequest, obj: Courier) -> None:
        services.courier_delete(courier_id=obj.pk)  # their open sockets are told

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Courier]) -> None:
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            services.courier_delete(courier_id=pk)

    def _duty(self, request: HttpRequest, queryset: QuerySet[Courier], status: str) -> None:
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            services.courier_set_duty(courier_id=pk, duty_status=status)
        self.message_user(request, f"{DutyStatus(status).label}: {queryset.count()}", messages.SUCCESS)

    @admin.action(description="Set selected couriers on duty")
    def set_on_duty(self, request: HttpRequest, queryset: QuerySet[Courier]) -> None:
        self._duty(request, queryset, DutyStatus.ON_DUTY)

    @admin.action(description="Set selected couriers off duty")
    def set_off_duty(self, request: HttpRequest, queryset: QuerySet[Courier]) -> None:
        self._duty(request, queryset, DutyStatus.OFF_DUTY)


class SupervisorCreateForm(forms.ModelForm[Supervisor]):
    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput, min_length=8)

    class Meta:
        model = Supervisor
        fields = ("station", "name")

    def clean_username(self) -> str:
        value = str(self.cleaned_data["username"]).strip()
        if User.objects.filter(username=value).exists():
            raise forms.ValidationError("this username is taken")
        return value


@admin.register(Supervisor)
class SupervisorAdmin(admin.ModelAdmin[Supervisor]):
    add_form = SupervisorCreateForm
    list_display = ("name", "station", "user")
    list_filter = ("station",)
    search_fields = ("name", "user__username")
    list_select_related = ("station", "user")
    fields = ("station", "name", "user")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
            kwargs["fields"] = ("station", "name", "username", "password")
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("station", "name", "username", "password") if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if obj is None else ("user",)

    def save_model(self, request: HttpRequest, obj: Supervisor, form: Any, change: bool) -> None:
        if change:  # through the service: a station move closes their sockets on the old station's feed
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            _adopt(obj, services.supervisor_update(supervisor_id=obj.pk, changes=changed))
            return
        data = form.cleaned_data
        supervisor = services.supervisor_create(
            station_id=data["station"].pk,
            username=data["username"],
            name=data["name"],
            password=data["password"],
        )
        _adopt(obj, supervisor)

    def delete_model(self, request: HttpRequest, obj: Supervisor) -> None:
        services.supervisor_delete(supervisor_id=obj.pk)  # their open sockets are told

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Supervisor]) -> None:
        for pk in queryset.order_by("pk").values_list("pk", flat=True):
            services.supervisor_delete(supervisor_id=pk)


class ZoneForm(forms.ModelForm[Zone]):
    class Meta:
        model = Zone
        fields = ("station", "code", "name", "courier", "address_prefixes", "postcodes")
        help_texts = {
            "address_prefixes": 'JSON list, e.g. ["西湖区文三路", "西湖区教工路"]',
            "postcodes": 'JSON list, e.g. ["310012"]',
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        station, courier = data.get("station"), data.get("courier")
        for name in ("address_prefixes", "postcodes"):
            value = data.get(name)
            if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                self.add_error(name, "give a JSON list of strings")
        if station is not None:
            try:
                services.check_zone_courier(station.pk, courier)
            except DomainError as exc:
                self.add_error("courier", exc.message)
        return data


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin[Zone]):
    form = ZoneForm
    list_display = ("code", "name", "station", "courier", "prefixes", "postcode_list")
    list_filter = ("station",)
    search_fields = ("code", "name", "courier__employee_no", "courier__name")
    list_select_related = ("station", "courier")
    ordering = ("station", "code")

    @admin.display(description="address prefixes")
    def prefixes(self, obj: Zone) -> str:
        return "、".join(obj.address_prefixes)

    @admin.display(description="postcodes")
    def postcode_list(self, obj: Zone) -> str:
        return ", ".join(obj.postcodes)
