"""The exceptions queue: list a station's open exceptions, resolve one with a reason."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.common.errors import DomainError
from backend.console.access import station_for
from backend.console.posting import page, post
from backend.console.shipment_forms import ResolveForm
from backend.console.views import CONSOLE_DEVICE
from backend.couriers.models import Station
from backend.exceptions.kinds import ExceptionKind
from backend.exceptions.selectors import exception_queue
from backend.exceptions.services import exception_resolve
from backend.realtime.selectors import feed_head
from backend.shipments.context import Ctx


def _page(
    request: HttpRequest, station: Station, *, status: int = 200, error: DomainError | None = None
) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in ExceptionKind.values else ""
    cursor = feed_head()  # before the reads: the page's socket replays whatever commits after it
    items = exception_queue(station=station, now=timezone.now(), kind=kind)
    context = {
        "station": station,
        "cursor": cursor,
        "items": items,
        "kinds": ExceptionKind.choices,
        "kind": kind,
    }
    return page(request, "console/exceptions.html", context, status=status, error=error)


@login_required
@require_GET
def exceptions(request: HttpRequest, code: str) -> HttpResponse:
    _principal, station = station_for(request, code)
    return _page(request, station)


@login_required
@require_POST
def resolve(request: HttpRequest, code: str) -> HttpResponse:
    principal, station = station_for(request, code)
    form = ResolveForm(request.POST)

    def act() -> str:
        exception_resolve(
            station_id=station.pk,
            kind=form.cleaned_data["kind"],
            subject=form.cleaned_data["subject"],
            reason=form.cleaned_data["reason"],
            ctx=Ctx(actor=principal, device_id=CONSOLE_DEVICE),
        )
        return _("Resolved: %(kind)s") % {"kind": ExceptionKind(form.cleaned_data["kind"]).label}

    return post(
        request,
        act,
        form=form,
        redraw=lambda status, error: _page(request, station, status=status, error=error),
        done=reverse("console:exceptions", kwargs={"code": station.code}),
    )
