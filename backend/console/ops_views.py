"""The incidents, disruptions and cash (COD) pages: list, and act through the existing services.

Every page is scoped to the station of the URL (``station_for``: another station's is a 404), every
form posts with its CSRF token, and every action is one service call; a refusal redraws the page
with the reason in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backend.accounts.roles import Principal
from backend.cod.services import handover_confirm
from backend.common.errors import DomainError
from backend.console.access import station_for
from backend.console.ops_forms import DisruptionForm, HandoverForm, IncidentResolveForm, fen
from backend.console.ops_rows import cash_rows, incident_rows
from backend.console.posting import page, post
from backend.console.views import CONSOLE_DEVICE
from backend.couriers.models import Station, Zone
from backend.couriers.selectors import station_today
from backend.incidents.models import Disruption, Incident
from backend.incidents.selectors import disruptions_for_station
from backend.incidents.services import (
    disruption_declare,
    disruption_lift,
    incident_acknowledge,
    incident_resolve,
)
from backend.incidents.services.disruptions import DisruptionInput
from backend.incidents.services.incidents import Decision
from backend.incidents.states import DisruptionKind, DisruptionLevel, LiableParty, Resolution
from backend.realtime.selectors import feed_head
from backend.shipments.context import Ctx


def _ctx(principal: Principal) -> Ctx:
    return Ctx(actor=principal, device_id=CONSOLE_DEVICE)


# --- incidents --------------------------------------------------------------------------------------


def _incidents_page(
    request: HttpRequest, station: Station, *, status: int = 200, error: DomainError | None = None
) -> HttpResponse:
    cursor = feed_head()  # before the reads: the page's socket replays whatever commits after it
    rows = incident_rows(station=station, now=timezone.now())
    to_manager = [r for r in rows if r.incident.manager_escalated_at is not None]
    manager_only = request.GET.get("escalated") == "manager"  # the link texted to the station manager
    context = {
        "station": station,
        "cursor": cursor,
        "rows": to_manager if manager_only else rows,
        "open_count": len(rows),
        "manager_count": len(to_manager),
        "manager_only": manager_only,
        "liable_parties": LiableParty.choices,
        "resolution_labels": dict(Resolution.choices),
    }
    return page(request, "console/incidents.html", context, status=status, error=error)


def _incidents_post(
    request: HttpRequest, station: Station, act: Callable[[], str], **kw: Any
) -> HttpResponse:
    return post(
        request,
        act,
        redraw=lambda status, error: _incidents_page(request, station, status=status, error=error),
        done=reverse("console:incidents", kwargs={"code": station.code}),
        **kw,
    )


@login_required
@require_GET
def incidents(request: HttpRequest, code: str) -> HttpResponse:
    _, station = station_for(request, code)
    return _incidents_page(request, station)


def _own_incident(station: Station, incident_id: int) -> int:
    """The incident if it is this station's; another's is "not found" like one that does not exist."""
    if not Incident.objects.filter(pk=incident_id, station=station).exists():
        raise DomainError("not_found", f"incident {incident_id} not found")
    return incident_id


@login_required
@require_POST
def incident_ack(request: HttpRequest, code: str, incident_id: int) -> HttpResponse:
    principal, station = station_for(request, code)

    def act() -> str:
        incident_acknowledge(incident_id=_own_incident(station, incident_id), ctx=_ctx(principal))
        return _("Acknowledged: incident %(id)s") % {"id": incident_id}

    return _incidents_post(request, station, act)


@login_required
@require_POST
def incident_decide(request: HttpRequest, code: str, incident_id: int) -> HttpResponse:
    principal, station = station_for(request, code)
    form = IncidentResolveForm(request.POST)

    def act() -> str:
        d = form.cleaned_data
        decision = Decision(
            resolution=d["resolution"],
            note=d["note"],
            amount_fen=fen(d["amount_yuan"]) if d["resolution"] == Resolution.COMPENSATED else None,
            liable_party=d["liable_party"],
        )
        incident_resolve(
            incident_id=_own_incident(station, incident_id), decision=decision, ctx=_ctx(principal)
        )
        return _("Resolved: incident %(id)s") % {"id": incident_id}

    return _incidents_post(request, station, act, form=form)


# --- disruptions ------------------------------------------------------------------------------------


def _disruptions_page(
    request: HttpRequest,
    station: Station,
    *,
    status: int = 200,
    error: DomainError | None = None,
    form: DisruptionForm | None = None,
) -> HttpResponse:
    cursor = feed_head()  # before the reads, as above
    active = list(disruptions_for_station(station_id=station.pk))
    held = {d.pk: d.holds.filter(released_at=None).count() for d in active}
    context = {
        "station": station,
        "cursor": cursor,
        "disruptions": [(d, held[d.pk]) for d in active],
        "kinds": DisruptionKind.choices,
        "levels": DisruptionLevel.choices,
        "zones": list(Zone.objects.filter(station=station).order_by("code").values_list("code", "name")),
        "form": form or DisruptionForm(),
    }
    return page(request, "console/disruptions.html", context, status=status, error=error)


def _disruptions_post(
    request: HttpRequest, station: Station, act: Callable[[], str], form: DisruptionForm | None = None
) -> HttpResponse:
    return post(
        request,
        act,
        form=form,
        redraw=lambda status, error: _disruptions_page(
            request, station, status=status, error=error, form=form
        ),
        done=reverse("console:disruptions", kwargs={"code": station.code}),
    )


@login_required
@require_GET
def disruptions(request: HttpRequest, code: str) -> HttpResponse:
    _, station = station_for(request, code)
    return _disruptions_page(request, station)


@login_required
@require_POST
def disruption_new(request: HttpRequest, code: str) -> HttpResponse:
    principal, station = station_for(request, code)
    form = DisruptionForm(request.POST)

    def act() -> str:
        d = form.cleaned_data
        data = DisruptionInput(
            kind=d["kind"],
            level=d["level"],
            reason=d["reason"],
            address_prefixes=form.prefixes(),
            zone_code=d["zone_code"],
        )
        disruption = disruption_declare(station_id=station.pk, data=data, ctx=_ctx(principal))
        return _("Declared: %(n)s jobs held") % {"n": disruption.holds.count()}

    return _disruptions_post(request, station, act, form)


@login_required
@require_POST
def disruption_release(request: HttpRequest, code: str, disruption_id: int) -> HttpResponse:
    principal, station = station_for(request, code)

    def act() -> str:
        if not Disruption.objects.filter(pk=disruption_id, station=station).exists():
            raise DomainError("not_found", f"disruption {disruption_id} not found")
        lifted = disruption_lift(disruption_id=disruption_id, ctx=_ctx(principal))
        return _("Lifted: %(released)s jobs released, %(reassigned)s assigned again") % {
            "released": len(lifted.released),
            "reassigned": len(lifted.reassigned),
        }

    return _disruptions_post(request, station, act)


# --- cash on delivery -------------------------------------------------------------------------------


def _day(request: HttpRequest, station: Station) -> date:
    try:
        return date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return station_today(station, timezone.now())


def _cash_page(
    request: HttpRequest, station: Station, *, status: int = 200, error: DomainError | None = None
) -> HttpResponse:
    day = _day(request, station)
    cursor = feed_head()  # before the reads, as above
    context = {"station": station, "day": day, "cursor": cursor, "rows": cash_rows(station=station, day=day)}
    return page(request, "console/cash.html", context, status=status, error=error)


@login_required
@require_GET
def cash(request: HttpRequest, code: str) -> HttpResponse:
    _, station = station_for(request, code)
    return _cash_page(request, station)


@login_required
@require_POST
def cash_confirm(request: HttpRequest, code: str) -> HttpResponse:
    principal, station = station_for(request, code)
    form = HandoverForm(request.POST)

    def act() -> str:
        d = form.cleaned_data
        handover_confirm(
            courier_id=d["courier_id"],
            ctx=_ctx(principal),
            expected_fen=d["expected_fen"],
            received_fen=fen(d["received_yuan"]) or 0,
            reason=d["reason"],
        )
        return _("Handover confirmed")

    url = reverse("console:cash", kwargs={"code": station.code})
    return post(
        request,
        act,
        form=form,
        redraw=lambda status, error: _cash_page(request, station, status=status, error=error),
        done=f"{url}?date={_day(request, station).isoformat()}",
    )
