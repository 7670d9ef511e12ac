"""The console's pages. Thin: check who asks, validate a form, call one selector or one service."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backend.accounts.roles import Role, principal_of
from backend.accounts.services import session_ended
from backend.common.errors import DomainError
from backend.console.access import is_staff, station_for
from backend.console.board import LANE_PAGE, lane_key
from backend.console.forms import CardsQuery, ConsoleLoginForm, LaneQuery, ReassignForm
from backend.console.moves import lanes_of, move_board
from backend.console.selectors import lane_page, station_board, stations_to_pick
from backend.couriers.models import Station
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
    key = request.session.session_key  # read first: logging out flushes the session
    logout(request)
    session_ended(session_key=key)
    return redirect("console:front-door")


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    principal = principal_of(request.user)
    if principal.role is Role.SUPERVISOR and principal.station_id is not None:
        return redirect("console:board", code=station_get(station_id=principal.station_id).code)
    if principal.role is Role.ADMIN:
        return render(request, "console/stations.html", {"stations": stations_to_pick(None)})
    if principal.role is Role.SUPERVISOR and principal.station_ids:  # a manager of several stations
        return render(request, "console/stations.html", {"stations": stations_to_pick(principal.station_ids)})
    return render(request, "console/not_staff.html", status=403)


@login_required
@require_GET
def board(request: HttpRequest, code: str) -> HttpResponse:
    _, station = station_for(request, code)
    snapshot = station_board(station=station, now=timezone.now())
    return render(request, "console/board.html", {"board": snapshot, "lane_page": LANE_PAGE})


def changes(request: HttpRequest, station: Station, job_ids: list[int]) -> str:
    """Some jobs' cards and model rows and every lane head, re-rendered by the board's templates
    (``_changes.html``, with the feed cursor it was read at): the live page's refresh."""
    snapshot = station_board(station=station, now=timezone.now(), job_ids=job_ids)
    return render_to_string("console/_changes.html", {"board": snapshot}, request=request)


def move_answer(
    request: HttpRequest, station: Station, job_ids: list[int], to: str, left: set[str], shown: int | None
) -> str:
    """The same partial for a move just committed, cut to what it changed (backend/console/moves.py)."""
    snapshot = move_board(station=station, now=timezone.now(), job_ids=job_ids, to=to, left=left, shown=shown)
    return render_to_string("console/_changes.html", {"board": snapshot}, request=request)


@login_required
@require_GET
def cards(request: HttpRequest, code: str) -> HttpResponse:
    """Some cards and every lane head, re-rendered by the board's templates for the live page."""
    _, station = station_for(request, code)
    query = CardsQuery(request.GET)
    if not query.is_valid():
        return HttpResponse(status=400)
    return HttpResponse(changes(request, station, query.cleaned_data["jobs"]))


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
    """Moves the jobs through ``reassign_jobs``; answers with the moved jobs and, in ``changes``,
    the partial the page's refresh of them would fetch, read after the commit: the page applies it
    at once instead of asking for the same cards again (docs/console.md, "Reassigning")."""
    principal, station = station_for(request, code)
    form = ReassignForm(request.POST)
    if not form.is_valid():
        details = {"fields": form.errors_dict()}
        return JsonResponse({"code": "invalid", "message": "check the form", "details": details}, status=400)
    ids = [jv.job_id for jv in form.cleaned_data["jobs"]]
    left = lanes_of(station=station, now=timezone.now(), job_ids=ids)  # before: the lanes they leave
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
    to = lane_key(form.cleaned_data["courier"])
    html = move_answer(request, station, [j.pk for j in moved], to, left, form.cleaned_data["shown"])
    return JsonResponse({"moved": rows, "at_risk": at_risk, "changes": html})
