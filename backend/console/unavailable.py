""" "Courier unavailable" on the board: the planner's preview, then one step that applies it.

Thin, like views.py: the preview is ``courier_unavailable_preview`` shaped by a selector; the apply
is ``courier_unavailable_apply``, which moves every job through the one reassignment service.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.accounts.roles import Principal
from backend.common.errors import DomainError
from backend.console.access import station_for
from backend.console.forms import MAX_JOBS
from backend.console.unavailable_preview import unavailable_preview_rows
from backend.console.views import CONSOLE_DEVICE
from backend.couriers.models import Courier, Station
from backend.couriers.selectors import courier_get_for_staff
from backend.dispatch.services import JobVersion, courier_unavailable_apply, courier_unavailable_preview
from backend.shipments.context import Ctx


class UnavailableForm(forms.Form):
    """``jobs`` is the preview's ``id:version`` pairs (may be empty: a courier with nothing left)."""

    reason = forms.CharField(max_length=200, strip=True)
    jobs = forms.CharField(max_length=MAX_JOBS * 24, required=False)
    token = forms.CharField(max_length=64)

    def clean_jobs(self) -> list[JobVersion]:
        pairs: list[JobVersion] = []
        for part in filter(None, (p.strip() for p in self.cleaned_data["jobs"].split(","))):
            job_id, _sep, version = part.partition(":")
            if not (job_id.isdigit() and version.isdigit() and len(job_id) < 19 and len(version) < 10):
                raise forms.ValidationError("give each job as id:version", code="invalid")
            pairs.append(JobVersion(job_id=int(job_id), version=int(version)))
        if len(pairs) > MAX_JOBS:
            raise forms.ValidationError(f"at most {MAX_JOBS} jobs", code="invalid")
        return pairs


def _courier(principal: Principal, station: Station, courier_id: int) -> Courier:
    """A courier of this board's station, else 404 (as another station's page is)."""
    try:
        courier = courier_get_for_staff(principal, courier_id)
    except DomainError:
        raise Http404("no such courier") from None
    if courier.station_id != station.pk:
        raise Http404("no such courier")
    return courier


def _refused(exc: DomainError) -> JsonResponse:
    """The service's refusal, with its message in the supervisor's language where we know the code."""
    known = {
        "invalid": _("A reason is required."),
        "preview_stale": _("The other couriers' routes changed since the preview. Check the new preview."),
        "reassign_conflict": _(
            "Some jobs changed since the preview; nothing was changed. Check the new preview."
        ),
        "courier_not_on_duty": _("A receiving courier is no longer on duty. Check the new preview."),
    }
    body = exc.as_dict()
    body["message"] = known.get(exc.code, exc.message)
    return JsonResponse(body, status=exc.status)


@login_required
@require_GET
def unavailable_preview(request: HttpRequest, code: str, courier_id: int) -> HttpResponse:
    principal, station = station_for(request, code)
    courier = _courier(principal, station, courier_id)
    try:
        preview = courier_unavailable_preview(
            courier_id=courier.pk, ctx=Ctx(actor=principal, device_id=CONSOLE_DEVICE)
        )
    except DomainError as exc:
        return _refused(exc)
    return render(
        request,
        "console/_unavailable_preview.html",
        {"preview": unavailable_preview_rows(preview), "station": station},
    )


@login_required
@require_POST
def unavailable_apply(request: HttpRequest, code: str, courier_id: int) -> JsonResponse:
    principal, station = station_for(request, code)
    courier = _courier(principal, station, courier_id)
    form = UnavailableForm(request.POST)
    if not form.is_valid():
        fields = {name: [e["message"] for e in errs] for name, errs in form.errors.get_json_data().items()}
        message = _("A reason is required.") if "reason" in fields else _("Check the form.")
        return JsonResponse(
            {"code": "invalid", "message": message, "details": {"fields": fields}}, status=400
        )
    try:
        applied = courier_unavailable_apply(
            courier_id=courier.pk,
            reason=form.cleaned_data["reason"],
            jobs=form.cleaned_data["jobs"],
            preview_token=form.cleaned_data["token"],
            ctx=Ctx(actor=principal, device_id=CONSOLE_DEVICE),
        )
    except DomainError as exc:
        return _refused(exc)
    moved = [m.job_id for m in applied.moves if m.to_courier_id is not None]
    queued = [m.job_id for m in applied.moves if m.to_courier_id is None]
    return JsonResponse(
        {"courier_id": courier.pk, "moved": moved, "queued": queued, "kept": list(applied.kept)}
    )
