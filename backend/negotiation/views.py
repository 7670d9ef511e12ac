"""The customer's page: parse the link, call the selector or the one answer service, render.

Plain forms: choose → confirm → result, each a POST with a CSRF token, then a redirect back to
the page (so a reload never answers twice). One static script (``live.js``) keeps the status and
the ETA live from the shipment feed; the page works without it. Every answer carries security
headers and ``Cache-Control: no-store``; every failure renders a page, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from backend.common.errors import DomainError
from backend.negotiation import ratelimit
from backend.negotiation.cutoff import cutoff_limits
from backend.negotiation.links import LinkClaims, link_open
from backend.negotiation.live_texts import LIVE_TEXTS, cutoff_detail
from backend.negotiation.selectors import PageView, negotiation_page, station_contact
from backend.negotiation.services import negotiation_answer
from backend.negotiation.states import Channel, NegotiationState
from backend.negotiation.texts import STATUS, TEXTS, language_of
from backend.shipments.context import Ctx

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
BAD_LINK_STATUS = {
    "link_invalid": 404,
    "not_found": 404,
    "link_expired": 410,
    "superseded": 410,
    "rate_limited": 429,
}


def _headers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = CSP
        # The token is in the URL: never sent to another site. ("no-referrer" would make Chromium send
        # "Origin: null" with the page's own form posts, which the CSRF check then refuses.)
        response["Referrer-Policy"] = "same-origin"
        response["X-Content-Type-Options"] = "nosniff"
        response["X-Frame-Options"] = "DENY"
        response["Cache-Control"] = "no-store"
        return response

    return wrapped


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _bad(
    request: HttpRequest, lang: str, code: str, view: PageView | None = None, token: str = ""
) -> HttpResponse:
    context = {
        "t": TEXTS[lang],
        "lang": lang,
        "code": code,
        "message": TEXTS[lang].get(code, TEXTS[lang]["link_invalid"]),
        "view": view,
        # Whom to call: the station, with its phone when it has one (an expired link still names it).
        "station": station_contact(view, token if code == "link_expired" else ""),
    }
    return render(request, "negotiation/bad_link.html", context, status=BAD_LINK_STATUS.get(code, 404))


def _context(lang: str, view: PageView, token: str, **extra: object) -> dict[str, object]:
    return {
        "t": {**TEXTS[lang], **LIVE_TEXTS[lang]},
        "lang": lang,
        "other": "en" if lang == "zh" else "zh",
        "view": view,
        "status": STATUS[lang].get(view.status, view.status),
        "status_labels": STATUS[lang],
        "token": token,
        "cutoff_detail": cutoff_detail(lang, view.cutoff),
        "cutoff_minutes": cutoff_limits()[1],
        **extra,
    }


@_headers
@require_http_methods(["GET", "POST"])
def negotiation_page_view(request: HttpRequest, token: str) -> HttpResponse:
    lang = language_of(request)
    if not ratelimit.allow("ip", _client_ip(request), *ratelimit.PER_IP):
        return _bad(request, lang, "rate_limited")
    try:
        claims = link_open(token)
    except DomainError as exc:
        return _bad(request, lang, exc.code, token=token)
    if not ratelimit.allow("link", claims.link_id, *ratelimit.PER_LINK):
        return _bad(request, lang, "rate_limited")
    try:
        view = negotiation_page(claims, lang)
    except DomainError:
        return _bad(request, lang, "not_found")
    if view.state in (NegotiationState.SUPERSEDED, NegotiationState.CANCELLED):
        return _bad(request, lang, "superseded", view)
    if request.method == "POST":
        return _post(request, lang, token, claims, view)
    return render(request, "negotiation/page.html", _context(lang, view, token))


def _coordinates(lat: str, lng: str) -> tuple[float | None, float | None]:
    """Optional coordinates typed on the page; ``invalid_coordinates`` when not two numbers."""
    if not lat.strip() and not lng.strip():
        return None, None
    try:
        return float(lat.replace(",", ".")), float(lng.replace(",", "."))
    except ValueError:
        raise DomainError("invalid_coordinates", "latitude and longitude are numbers") from None


def _post(request: HttpRequest, lang: str, token: str, claims: LinkClaims, view: PageView) -> HttpResponse:
    key = request.POST.get("option", "")
    option = next((o for o in view.options if o.key == key), None)
    if option is None or view.state != NegotiationState.OFFERED:
        return HttpResponseRedirect(f"/n/{token}/?lang={lang}")
    if request.POST.get("confirm") != "yes":
        return render(request, "negotiation/confirm.html", _context(lang, view, token, option=option))
    form = {name: request.POST.get(name, "")[:255] for name in ("address", "lat", "lng", "leave_with")}
    try:
        lat, lng = _coordinates(form["lat"], form["lng"])
        negotiation_answer(
            negotiation_id=claims.negotiation_id,
            option_key=key,
            channel=Channel.LINK,
            language=lang,
            ctx=Ctx.system(),
            link_id=claims.link_id,
            address=form["address"],
            lat=lat,
            lng=lng,
            leave_with=form["leave_with"],
        )
    except DomainError as exc:
        if exc.code in ("invalid", "invalid_coordinates"):
            # What the customer typed was not usable: ask again, keeping what they typed.
            context = _context(lang, view, token, option=option, form=form, error=exc.code)
            return render(request, "negotiation/confirm.html", context, status=400)
        # An expired or closed question: show the page again with what went wrong.
        fresh = negotiation_page(claims, lang)
        return render(
            request, "negotiation/page.html", _context(lang, fresh, token, error=exc.code), status=409
        )
    # Also a second tap or tab: the answer that won is what the page shows.
    return HttpResponseRedirect(f"/n/{token}/?lang={lang}")
