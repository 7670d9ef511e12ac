"""The admin's "Import a station from files" page: the same service as ``manage.py import_station``.

Stations are registered by ``couriers.admin``; this app sits above couriers in the layers, so it
re-registers the station admin as a subclass that adds the import page and a link to it on the
station list, rather than teaching couriers about onboarding. A station manager sees only their
stations here (``admin_scope``); a station they open (added or imported) is theirs at once.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from backend.couriers.admin import StationAdmin
from backend.couriers.models import Station
from backend.stations import admin_managers, admin_scope, admin_tariffs  # noqa: F401  (they register admins)
from backend.stations.admin_scope import ManagedScope, forget_managed_stations, managed_stations
from backend.stations.services import OnboardReport, station_onboard
from backend.stations.services.managers import manager_grant
from backend.stations.tables import SUFFIXES, read_tables

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a 30-courier roster is a few kB; this only stops accidents


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(SUFFIXES)}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[Any]]:
        files = list(data) if isinstance(data, list | tuple) else [data] if data else []
        if not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class ImportForm(forms.Form):
    uploads = MultipleFileField(
        help_text="station, supervisors, couriers, zones, tariffs: CSV files or one XLSX workbook "
        "(docs/station-guide.md)"
    )
    dry_run = forms.BooleanField(required=False, initial=True, label="Dry run (check only, change nothing)")

    def clean_uploads(self) -> list[UploadedFile[Any]]:
        files: list[UploadedFile[Any]] = self.cleaned_data["uploads"]
        seen: set[str] = set()
        for f in files:
            name = Path(f.name or "").name
            if name in seen:  # they are saved side by side under their names for the reader
                raise forms.ValidationError(f"two files are named {name}")
            seen.add(name)
            if Path(name).suffix.lower() not in SUFFIXES:
                raise forms.ValidationError(f"{name}: only .csv and .xlsx files can be imported")
            if (f.size or 0) > MAX_UPLOAD_BYTES:
                raise forms.ValidationError(f"{name} is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
        return files


def _onboard_uploads(
    files: list[UploadedFile[Any]], *, dry_run: bool, manager_id: int | None
) -> OnboardReport:
    # The readers take paths (openpyxl wants a seekable file); the uploads live only for this call.
    with tempfile.TemporaryDirectory(prefix="onboard-") as tmp:
        paths = []
        for f in files:
            target = Path(tmp) / Path(f.name or "upload").name  # never a client's directory part
            with target.open("wb") as out:
                for chunk in f.chunks():
                    out.write(chunk)
            paths.append(target)
        sheets, problems = read_tables(paths)
        return station_onboard(
            sheets=sheets, problems=problems, dry_run=dry_run, opened_by_manager=manager_id
        )


class StationOnboardingAdmin(ManagedScope, StationAdmin):
    change_list_template = "admin/stations/station_change_list.html"
    station_path = "pk"
    manager_may = frozenset({"view", "add", "change"})

    def save_model(self, request: HttpRequest, obj: Station, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change and managed_stations(request) is not None:  # a manager opened it: it is theirs
            me = request.user.pk
            assert me is not None  # signed in: the admin site lets no one else here
            manager_grant(user_id=me, station_id=obj.pk, granted_by=me)
            forget_managed_stations(request)

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="couriers_station_import",
            )
        ]
        return extra + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        report: OnboardReport | None = None
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                report = _onboard_uploads(
                    form.cleaned_data["uploads"],
                    dry_run=form.cleaned_data["dry_run"],
                    manager_id=request.user.pk if managed_stations(request) is not None else None,
                )
                forget_managed_stations(request)  # an imported station may be theirs now
        else:
            form = ImportForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a station from files / 导入开通站点",
            "opts": self.model._meta,
            "form": form,
            "report": report,
            "generated": [c for c in report.credentials if c.password] if report and report.applied else [],
        }
        # admin_view() marks it never_cache (no-store): the page may carry initial passwords.
        return TemplateResponse(request, "admin/stations/import.html", context)


admin.site.unregister(Station)
admin.site.register(Station, StationOnboardingAdmin)
