"""Tariff books in the admin: read-only versions (as ``pickup.admin`` has them), scoped to a station
manager's stations, plus a "Publish a tariff book" page that checks a ``tariffs`` file row by row
and publishes it as the station's next version through ``stations.tariff_import``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from backend.accounts.roles import principal_of
from backend.couriers.models import Station
from backend.pickup.admin import TariffBookVersionAdmin
from backend.pickup.models import TariffBookVersion
from backend.shipments.context import Ctx
from backend.stations.admin_scope import ManagedScope, managed_stations
from backend.stations.tables import SUFFIXES, read_tables
from backend.stations.tariff_import import TariffReport, tariff_book_import

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class PublishForm(forms.Form):
    station = forms.ModelChoiceField(queryset=Station.objects.none())
    upload = forms.FileField(
        help_text="the tariffs table as in the onboarding import: a CSV file or an XLSX workbook "
        "(docs/station-guide.md §1.1)",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUFFIXES)}),
    )
    dry_run = forms.BooleanField(required=False, initial=True, label="Dry run (check only, publish nothing)")

    def __init__(self, *args: Any, stations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["station"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = stations

    def clean_upload(self) -> Any:
        f = self.cleaned_data["upload"]
        if Path(f.name or "").suffix.lower() not in SUFFIXES:
            raise forms.ValidationError("only .csv and .xlsx files can be imported")
        if (f.size or 0) > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("the file is larger than 5 MB")
        return f


class ManagedTariffBookAdmin(ManagedScope):
    """``pickup.admin``'s read-only list, scoped. Versions are never added, edited or deleted here,
    by anyone: a new one is published (the page below, the API, or the import)."""

    list_display = TariffBookVersionAdmin.list_display
    list_filter = TariffBookVersionAdmin.list_filter
    manager_may = frozenset({"view"})
    change_list_template = "admin/stations/tariffbook_change_list.html"

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        publish = path(
            "publish/", self.admin_site.admin_view(self.publish_view), name="pickup_tariffbookversion_publish"
        )
        return [publish, *super().get_urls()]

    def _publishable(self, request: HttpRequest) -> Any:
        ids = managed_stations(request)
        if ids is not None:
            return Station.objects.filter(pk__in=ids).order_by("code")
        if getattr(request.user, "is_superuser", False):
            return Station.objects.order_by("code")
        raise PermissionDenied

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        try:
            can_publish = self._publishable(request).exists()
        except PermissionDenied:
            can_publish = False
        return super().changelist_view(request, {**(extra_context or {}), "can_publish": can_publish})

    def publish_view(self, request: HttpRequest) -> HttpResponse:
        stations = self._publishable(request)
        report: TariffReport | None = None
        if request.method == "POST":
            form = PublishForm(request.POST, request.FILES, stations=stations)
            if form.is_valid():
                station: Station = form.cleaned_data["station"]
                ctx = Ctx(actor=principal_of(request.user), device_id="admin")
                with tempfile.TemporaryDirectory(prefix="tariffs-") as tmp:
                    upload = form.cleaned_data["upload"]
                    target = Path(tmp) / Path(upload.name or "tariffs.csv").name
                    with target.open("wb") as out:
                        for chunk in upload.chunks():
                            out.write(chunk)
                    sheets, problems = read_tables([target])
                    report = tariff_book_import(
                        sheets=sheets,
                        problems=problems,
                        origin=station.code,
                        ctx=ctx,
                        dry_run=form.cleaned_data["dry_run"],
                    )
        else:
            form = PublishForm(stations=stations)
        context = {
            **self.admin_site.each_context(request),
            "title": "Publish a tariff book / 发布资费表",
            "opts": self.model._meta,
            "form": form,
            "report": report,
        }
        return TemplateResponse(request, "admin/stations/tariff_publish.html", context)


admin.site.unregister(TariffBookVersion)
admin.site.register(TariffBookVersion, ManagedTariffBookAdmin)
