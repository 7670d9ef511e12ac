"""Dropping cards on the unassigned lane: back to the queue, with a reason, through ``unassign_jobs``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from backend.common.errors import DomainError
from backend.console.access import station_for
from backend.console.board import UNASSIGNED
from backend.console.forms import ReassignForm
from backend.console.moves import lanes_of
from backend.console.views import CONSOLE_DEVICE, move_answer
from backend.dispatch.services import unassign_jobs
from backend.shipments.context import Ctx


class UnassignForm(ReassignForm):
    """``reason`` and ``jobs`` (``id:version`` pairs) as for a reassignment; no courier."""

    courier = None  # type: ignore[assignment]  # Django's way to drop an inherited form field


@login_required
@require_POST
def unassign(request: HttpRequest, code: str) -> JsonResponse:
    """Back to the queue through ``unassign_jobs``; answers as the reassign view does, with the
    partial for the jobs moved (``changes``)."""
    principal, station = station_for(request, code)
    form = UnassignForm(request.POST)
    if not form.is_valid():
        details = {"fields": form.errors_dict()}
        return JsonResponse({"code": "invalid", "message": "check the form", "details": details}, status=400)
    ids = [jv.job_id for jv in form.cleaned_data["jobs"]]
    left = lanes_of(station=station, now=timezone.now(), job_ids=ids)  # before: the lanes they leave
    try:
        queued = unassign_jobs(
            jobs=form.cleaned_data["jobs"],
            reason=form.cleaned_data["reason"],
            ctx=Ctx(actor=principal, device_id=CONSOLE_DEVICE),
        )
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    rows = [{"job_id": j.pk, "version": j.version, "courier_id": None} for j in queued]
    html = move_answer(request, station, [j.pk for j in queued], UNASSIGNED, left, form.cleaned_data["shown"])
    return JsonResponse({"moved": rows, "changes": html})
