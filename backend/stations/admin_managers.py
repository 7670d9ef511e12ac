"""Station managers in the admin (superusers only, by Django's permissions): make someone a
manager, change which stations they run. Every grant and revocation goes through
``stations.services.managers``; a manager is never deleted (their record names who was told of what), they
lose their last station instead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.contrib.auth.models import User
from django.db.models import Model
from django.http import HttpRequest

from backend.common.errors import DomainError
from backend.common.validators import clean_phone
from backend.couriers.models import Courier, Station
from backend.stations.models import ManagedStation, StationManager
from backend.stations.services.managers import manager_create, manager_grant, manager_set_stations


def _stations_field() -> forms.ModelMultipleChoiceField[Station]:
    return forms.ModelMultipleChoiceField(
        queryset=Station.objects.order_by("code"),
        required=False,
        widget=FilteredSelectMultiple("stations", is_stacked=False),
        help_text="the stations they run: a supervisor there, and they onboard, staff and price them",
    )


class ManagerChangeForm(forms.ModelForm[StationManager]):
    station_set = _stations_field()

    class Meta:
        model = StationManager
        fields: tuple[str, ...] = ("name", "phone")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["station_set"].initial = list(
                ManagedStation.objects.filter(manager=self.instance).values_list("station_id", flat=True)
            )

    def clean_phone(self) -> str:
        try:
            return clean_phone(str(self.cleaned_data["phone"]))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None


class ManagerCreateForm(ManagerChangeForm):
    username = forms.CharField(
        max_length=150, help_text="a new user, or an existing supervisor's or staff user's name to promote"
    )
    password = forms.CharField(
        widget=forms.PasswordInput, required=False, min_length=8, help_text="for a new user only"
    )

    class Meta(ManagerChangeForm.Meta):
        fields = ("name", "phone")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        username = str(data.get("username", "")).strip()
        existing = User.objects.filter(username=username).first()
        if existing is None and not data.get("password"):
            self.add_error("password", "a new user needs a password (at least 8 characters)")
        if existing is not None and data.get("password"):
            self.add_error("password", "leave empty: this user exists and keeps their password")
        if existing is not None and Courier.objects.filter(user=existing).exists():
            self.add_error("username", "a courier's account cannot be a station manager")
        if existing is not None and StationManager.objects.filter(user=existing).exists():
            self.add_error("username", "already a station manager: change their stations on their page")
        if not data.get("station_set"):
            self.add_error("station_set", "choose at least one station")
        data["existing"] = existing
        return data


@admin.register(StationManager)
class StationManagerAdmin(admin.ModelAdmin[StationManager]):
    form = ManagerChangeForm
    add_form = ManagerCreateForm
    list_display = ("name", "user", "phone", "station_codes")
    search_fields = ("name", "user__username", "stations__code")
    list_filter = ("stations",)
    list_select_related = ("user",)
    ordering = ("name",)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("username", "password", "name", "phone", "station_set")
        return ("user", "name", "phone", "station_set")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return () if obj is None else ("user",)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    @admin.display(description="stations")
    def station_codes(self, obj: StationManager) -> str:
        return ", ".join(
            g.station.code for g in obj.grants.select_related("station").order_by("station__code")
        )

    def save_model(self, request: HttpRequest, obj: StationManager, form: Any, change: bool) -> None:
        data = form.cleaned_data
        stations = [s.pk for s in data["station_set"]]
        by = request.user.pk
        if change:
            super().save_model(request, obj, form, change)  # name and phone: the record's own fields
            manager_set_stations(user_id=obj.user_id, station_ids=stations, granted_by=by)
            return
        existing = data["existing"]
        if existing is None:
            made = manager_create(
                username=data["username"].strip(),
                password=data["password"],
                name=data["name"],
                phone=data["phone"],
                station_ids=stations,
                granted_by=by,
            )
        else:  # promote: the first grant makes their record with this name and phone
            made = [
                manager_grant(
                    user_id=existing.pk,
                    station_id=station_id,
                    granted_by=by,
                    name=data["name"],
                    phone=data["phone"],
                )
                for station_id in stations
            ][-1]
        for f in StationManager._meta.concrete_fields:  # the admin's unsaved ``obj`` becomes the row
            setattr(obj, f.attname, getattr(made, f.attname))
        obj._state.adding = False
