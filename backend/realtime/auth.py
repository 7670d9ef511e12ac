"""Opening a feed: read the query string, authenticate, and decide which audience the socket gets.

Credentials travel in the query string (``?token=…``), the one place every websocket client can
set (browsers cannot add headers to a websocket handshake, and a token smuggled in
``Sec-WebSocket-Protocol`` has to be echoed back by the server). The price is that proxies may log
URLs: docs/operations.md has the nginx log format that leaves the query string out.

* courier feed: a courier's device token; the feed is always the token's own courier;
* station feed: a supervisor's token for their station, or an admin's for any station;
* shipment feed: a tracking-link token (``links.py``) for that very shipment, nothing else; or
  the customer's negotiation link (``negotiation/live.py``), for its own shipment only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from importlib import import_module
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.contrib.auth import get_user
from django.http.cookie import parse_cookie

from backend.accounts.authentication import user_for_key
from backend.accounts.models import ApiToken
from backend.accounts.roles import Principal, Role, principal_of
from backend.accounts.selectors import principal_live
from backend.common.errors import DomainError
from backend.couriers.models import Station
from backend.negotiation.live import link_feed_shipment_id
from backend.realtime.audience import Audience
from backend.realtime.codes import Close, Refusal
from backend.realtime.links import link_shipment_id
from backend.shipments.models import Shipment

MAX_CURSOR = 2**63 - 1


def query_params(scope: Mapping[str, Any]) -> dict[str, str]:
    raw = scope.get("query_string", b"").decode("latin-1")
    try:
        parsed = parse_qs(raw, max_num_fields=8, strict_parsing=False)
    except ValueError:
        raise Refusal(Close.BAD_REQUEST, "too many query parameters") from None
    return {key: values[-1] for key, values in parsed.items()}


def parse_cursor(params: dict[str, str]) -> int | None:
    """``cursor`` is the last change-feed position the client holds; absent means "from now on"."""
    raw = params.get("cursor")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) > MAX_CURSOR:
        raise Refusal(Close.BAD_REQUEST, "cursor must be a non-negative integer")
    return int(raw)


def _staff_principal(params: dict[str, str]) -> tuple[Principal, ApiToken]:
    key = params.get("token", "")
    found = user_for_key(key) if key else None
    if found is None:
        raise Refusal(Close.UNAUTHENTICATED, "a valid device token is required (?token=…)")
    user, token = found
    return principal_of(user), token


def _check_courier_feed(who: Principal, courier_id: int | None) -> int:
    if who.role is not Role.COURIER or who.courier_id is None:
        raise Refusal(Close.FORBIDDEN, "only a courier has a courier feed; supervisors use the station feed")
    if courier_id is not None and courier_id != who.courier_id:
        raise Refusal(Close.FORBIDDEN, "a courier can only follow their own feed")
    return who.courier_id


def _check_station_feed(who: Principal, station_id: int) -> None:
    if who.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Refusal(Close.FORBIDDEN, "only supervisors and admins can follow a station")
    if not who.can_see_station(station_id):
        raise Refusal(Close.FORBIDDEN, "you can only follow your own station")


def courier_audience(params: dict[str, str], courier_id: int | None) -> Audience:
    """A courier's own feed. ``courier_id`` in the path, when given, must be the caller's."""
    who, token = _staff_principal(params)
    return Audience("courier", _check_courier_feed(who, courier_id), who, token.device_id, token.pk)


def session_key_of(scope: Mapping[str, Any]) -> str:
    """The console's session key in the handshake's cookie ("" when there is none)."""
    raw = b"; ".join(value for name, value in scope.get("headers", []) if name == b"cookie")
    return parse_cookie(raw.decode("latin-1")).get(settings.SESSION_COOKIE_NAME) or ""


def session_user(key: str) -> Any | None:
    """The user logged in to the console with this session key, or None (no such session, expired,
    logged out, or its user's password changed since).

    Read here, only for a station feed opened without a token, rather than by Channels'
    ``AuthMiddlewareStack`` for every socket: that would put a database-thread hop in front of
    each handheld's and customer's handshake too.
    """
    if not key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(key)
    user = get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]  # get_user only reads .session
    return user if user.is_authenticated else None


def station_audience(params: dict[str, str], code: str, scope: Mapping[str, Any] | None = None) -> Audience:
    """A supervisor's (own station) or admin's (any) token; or, without a token, the logged-in
    session of the console's page (the Origin check keeps other sites' pages out)."""
    key = session_key_of(scope) if scope is not None and "token" not in params else ""
    user = session_user(key)
    token_id: int | None = None  # a session has no device token to revoke: logging out ends it
    if user is not None:
        who, device_id = principal_of(user), "console"
    else:
        key = ""
        who, token = _staff_principal(params)
        device_id, token_id = token.device_id, token.pk
    if who.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise Refusal(Close.FORBIDDEN, "only supervisors and admins can follow a station")
    station_id = Station.objects.filter(code=code).values_list("pk", flat=True).first()
    if station_id is None:
        raise Refusal(Close.NOT_FOUND, f"no station {code!r}")
    _check_station_feed(who, station_id)
    return Audience("station", station_id, who, device_id, token_id, session_key=key)


def audience_recheck(audience: Audience) -> Audience:
    """The open socket's audience with its person's access read afresh, by the same rules as at open.

    ``Refusal`` when it no longer holds: 4401 when the person can no longer sign in (deactivated,
    deleted, the token revoked), 4403 ``access_revoked`` when the feed is no longer theirs (a
    station taken from its manager, a supervisor moved or deleted, an admin no longer one). A
    feed that is still theirs carries on with the new access (a manager who keeps this station but
    lost another: their commands now act with what they have now). The shipment feed names no
    person: nothing to re-read.
    """
    who = audience.principal
    if who is None or who.user_id is None:
        return audience
    now = principal_live(user_id=who.user_id, token_id=audience.token_id)
    if now is None:
        raise Refusal(Close.UNAUTHENTICATED, "you can no longer sign in: log in again")
    if audience.session_key:
        user = session_user(audience.session_key)
        if user is None or user.pk != who.user_id:
            raise Refusal(Close.UNAUTHENTICATED, "your console session ended: log in again")
    try:
        if audience.feed == "courier":
            _check_courier_feed(now, audience.target_id)
        else:
            _check_station_feed(now, audience.target_id)
    except Refusal as refusal:
        raise Refusal(refusal.close, f"access withdrawn: {refusal.message}", code="access_revoked") from None
    return replace(audience, principal=now)


def _link_shipment_id(token: str) -> int:
    """A tracking link's shipment; failing that, a negotiation link's (the customer's page)."""
    try:
        return link_shipment_id(token)
    except DomainError as exc:
        if exc.code != "link_invalid":  # a tracking link, but expired: not worth a second reading
            raise
    return link_feed_shipment_id(token)


def shipment_audience(params: dict[str, str], tracking_no: str) -> Audience:
    try:
        shipment_id = _link_shipment_id(params.get("token", ""))
    except DomainError as exc:
        raise Refusal(Close.UNAUTHENTICATED, exc.message) from None
    number = Shipment.objects.filter(pk=shipment_id).values_list("tracking_no", flat=True).first()
    if number is None:
        raise Refusal(Close.NOT_FOUND, "this shipment no longer exists")
    if number != tracking_no.upper():
        # Checked after the signature, so a stranger learns nothing about which numbers exist.
        raise Refusal(Close.FORBIDDEN, "this tracking link is for another shipment")
    return Audience("shipment", shipment_id)
