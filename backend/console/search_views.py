"""Shipment search and the shipment page: history, proofs, negotiation log, audit trail; the
audited unmask of a contact field; a supervisor's proposed time; the proofs' images."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.common.errors import DomainError
from backend.console.access import station_for
from backend.console.posting import form_refusal, page, post
from backend.console.search import shipment_search
from backend.console.shipment_forms import ProposeForm, RevealForm
from backend.console.shipment_page import ShipmentFile, shipment_file, station_media
from backend.console.views import CONSOLE_DEVICE
from backend.couriers.models import Station
from backend.exceptions.kinds import RevealField
from backend.exceptions.services import contact_reveal
from backend.negotiation.services import negotiation_propose
from backend.shipments.context import Ctx
from backend.sync.attachments import clean_sha256, storage_path


@login_required
@require_GET
def search(request: HttpRequest, code: str) -> HttpResponse:
    _principal, station = station_for(request, code)
    result = shipment_search(station_id=station.pk, query=request.GET.get("q", ""))
    return render(request, "console/search.html", {"station": station, "result": result})


def _file(station: Station, tracking_no: str) -> ShipmentFile:
    found = shipment_file(station_id=station.pk, tracking_no=tracking_no)
    if found is None:
        raise Http404("no such shipment at this station")
    return found


def _render(
    request: HttpRequest, station: Station, file: ShipmentFile, *, status: int = 200, **extra: Any
) -> HttpResponse:
    error: DomainError | None = extra.pop("error", None)
    context = {"station": station, "file": file, "reveal_fields": RevealField.choices, **extra}
    response = page(request, "console/shipment.html", context, status=status, error=error)
    response["Cache-Control"] = "no-store"  # an unmasked value must not stay in a cache
    return response


@login_required
@require_GET
def shipment(request: HttpRequest, code: str, tracking_no: str) -> HttpResponse:
    _principal, station = station_for(request, code)
    return _render(request, station, _file(station, tracking_no))


@login_required
@require_POST
def reveal(request: HttpRequest, code: str, tracking_no: str) -> HttpResponse:
    """The full value of one field, shown in this response only, after the audit row is written."""
    principal, station = station_for(request, code)
    file = _file(station, tracking_no)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return _render(request, station, file, status=400, error=form_refusal(form))
    try:
        shown = contact_reveal(
            shipment_id=file.shipment_id,
            field=form.cleaned_data["field"],
            reason=form.cleaned_data["reason"],
            ctx=Ctx(actor=principal, device_id=CONSOLE_DEVICE),
        )
    except DomainError as exc:
        return _render(request, station, file, status=exc.status, error=exc)
    # Read again: the audit trail on the page now shows this very reveal.
    return _render(request, station, _file(station, tracking_no), revealed={shown.field: shown.value})


@login_required
@require_POST
def propose(request: HttpRequest, code: str, tracking_no: str) -> HttpResponse:
    principal, station = station_for(request, code)
    file = _file(station, tracking_no)
    form = ProposeForm(request.POST, time_zone=station.time_zone)

    def act() -> str:
        if form.cleaned_data["job"] not in {j.job_id for j in file.jobs}:
            raise Http404("no such job on this shipment")
        start, end = form.window()
        negotiation_propose(
            job_id=form.cleaned_data["job"],
            ctx=Ctx(actor=principal, device_id=CONSOLE_DEVICE),
            window_start=start,
            window_end=end,
        )
        return _("The proposed time was sent to the customer.")

    return post(
        request,
        act,
        form=form,
        form_code="invalid_time_window",
        redraw=lambda status, error: _render(request, station, file, status=status, error=error),
        done=reverse("console:shipment", kwargs={"code": station.code, "tracking_no": tracking_no}),
    )


@login_required
@require_GET
def media(request: HttpRequest, code: str, sha256: str) -> FileResponse:
    """A proof's signature or photo: only one named by a proof or attempt of this station's jobs."""
    _principal, station = station_for(request, code)
    try:
        sha = clean_sha256(sha256)
    except DomainError:
        raise Http404("no such image") from None
    attachment = station_media(station_id=station.pk, sha256=sha)
    path = storage_path(sha)
    if attachment is None or not path.exists():
        raise Http404("no such image")
    response = FileResponse(path.open("rb"), content_type=attachment.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
