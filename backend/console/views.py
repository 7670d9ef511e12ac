"""The console's pages. Thin: check who asks, validate a form, call one selector or one service."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.accounts.roles import Role, principal_of
from backend.common.errors import DomainError
from backend.console.access import is_staff, station_for
from backend.console.forms import CardsQuery, ConsoleLoginForm, LaneQuery, ReassignForm
from backend.console.selectors import LANE_PAGE, lane_page, station_board, stations_for_admin
from backend.couriers.selectors import station_get
from backend.dispatch.services import reassign_jobs
from backend.shipments.context import Ctx

CONSOLE_DEVICE = "console"


@require_http_methods(["GET", "POST"])
def front_door(request: HttpRequest) -> HttpResponseBase:
    """``/``: the staff login, with the links a newcomer needs; staff already in go to their board."""
    if request.user.is_authenticated and is_staff(principal_of(request.user)):
        return redirect("console:home")
    login = LoginView.as_view(
        template_name="console/login.html",
        authentication_form=ConsoleLoginForm,
        next_page="console:home",
    )
    return login(request)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("console:front-door")


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request.user)
    if principal.role is Role.SUPERVISOR and principal.station_id is not None:
        return redirect("console:board", code=station_get(station_id=principal.station_id).code)
    if principal.role is Role.ADMIN:
        return render(request, "console/stations.html", {"stations": stations_for_admin()})
    return render(request, "console/not_staff.html", status=403)


@login_required
@require_GET
def board(request: HttpRequest, code: str) -> HttpResponse:
    _, station = station_for(request, code)
    snapshot = station_board(station=station, now=timezone.now())
    return render(request, "console/board.html", {"board": snapshot, "lane_page": LANE_PAGE})


@login_required
@require_GET
def cards(request: HttpRequest, code: str) -> HttpResponse:
    """Some cards and every lane head, re-rendered by the board's templates for the live page."""
    _, station = station_for(request, code)
    query = CardsQuery(request.GET)
    if not query.is_valid():
        return HttpResponse(status=400)
    snapshot = station_board(station=station, now=timezone.now(), job_ids=query.cleaned_data["jobs"])
    return render(request, "console/_changes.html", {"board": snapshot})


@login_required
@require_GET
def lane(request: HttpRequest, code: str) -> HttpResponse:
    """The next page of one lane's cards (the lane's "more" button)."""
    _, station = station_for(request, code)
    query = LaneQuery(request.GET)
    if not query.is_valid():
        return HttpResponse(status=400)
    cards = lane_page(
        station=station,
        now=timezone.now(),
        lane=query.cleaned_data["lane"],
        offset=query.cleaned_data["offset"],
    )
    return render(request, "console/_lane_cards.html", {"station": station, "cards": cards})


@login_required
@require_POST
def reassign(request: HttpRequest, code: str) -> JsonResponse:
    principal, _ = station_for(request, code)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        details = {"fields": form.errors_dict()}
        return JsonResponse({"code": "invalid", "message": "check the form", "details": details}, status=400)
    try:
        moved, at_risk = reassign_jobs(
            jobs=form.cleaned_data["jobs"],
            to_courier_id=form.cleaned_data["courier"],
            reason=form.cleaned_data["reason"],
            ctx=Ctx(actor=principal, device_id=CONSOLE_DEVICE),
        )
    except DomainError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    rows = [{"job_id": j.pk, "version": j.version, "courier_id": j.courier_id} for j in moved]
    return JsonResponse({"moved": rows, "at_risk": at_risk})
