"""Who may open which feed: every feed × every role, and the close code of each refusal."""

from __future__ import annotations

import time

import pytest
from django.core import signing

from backend.accounts.models import ApiToken
from backend.accounts.services import token_revoke, user_set_active
from backend.couriers.models import Supervisor
from backend.couriers.services import supervisor_update
from backend.realtime.codes import Close
from backend.realtime.links import SALT, link_issue
from backend.stations.services.managers import manager_revoke
from tests.backend.realtime.conftest import Socket, feed_path, refused_with
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person, make_manager, make_supervisor

pytestmark = pytest.mark.django_db(transaction=True)


class _PastSigner(signing.TimestampSigner):
    """Signs exactly like links.py, with an issue time a year ago."""

    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time()) - 365 * 24 * 3600)


def _withdrawn(station, other_station) -> dict[str, Person]:
    """People whose access was taken away by the services after their token was issued."""
    both = make_manager(station, other_station)
    manager_revoke(user_id=both.user.pk, station_id=station.pk)  # keeps other_station
    moved = make_supervisor(station)
    supervisor_update(
        supervisor_id=Supervisor.objects.get(user=moved.user).pk, changes={"station": other_station.pk}
    )
    inactive = make_supervisor(station)
    user_set_active(user_id=inactive.user.pk, active=False)
    return {"manager_lost_station": both, "moved_supervisor": moved, "inactive_supervisor": inactive}


@pytest.fixture
def world(station, other_station, courier, other_courier, supervisor, other_supervisor, admin):
    job = make_job(station, supervisor.ctx)
    other_job = make_job(station, supervisor.ctx)
    return {
        "manager": make_manager(station),
        **_withdrawn(station, other_station),
        "station": station,
        "other_station": other_station,
        "courier": courier,
        "other_courier": other_courier,
        "supervisor": supervisor,
        "other_supervisor": other_supervisor,
        "admin": admin,
        "shipment": job.shipment,
        "other_shipment": other_job.shipment,
    }


def _token(w: dict, who: str | None) -> str | None:
    if who is None:
        return None
    person = w[who][1] if who in ("courier", "other_courier") else w[who]
    return str(person.token)


# (feed path builder, who, expected): "ready" or a close code.
CASES = [
    ("courier", None, Close.UNAUTHENTICATED),
    ("courier", "garbage", Close.UNAUTHENTICATED),
    ("courier", "courier", "ready"),
    ("courier_own_id", "courier", "ready"),
    ("courier_other_id", "courier", Close.FORBIDDEN),
    ("courier", "supervisor", Close.FORBIDDEN),
    ("courier", "admin", Close.FORBIDDEN),
    ("station", None, Close.UNAUTHENTICATED),
    ("station", "courier", Close.FORBIDDEN),
    ("station", "supervisor", "ready"),
    ("station", "other_supervisor", Close.FORBIDDEN),
    ("station", "admin", "ready"),
    ("other_station", "admin", "ready"),  # admins follow any station
    ("station", "manager", "ready"),
    ("other_station", "manager", Close.FORBIDDEN),
    # Access withdrawn by a service (an open socket of theirs is closed the same way at once:
    # test_access_revocation.py); a reconnect is refused.
    ("station", "manager_lost_station", Close.FORBIDDEN),
    ("other_station", "manager_lost_station", "ready"),
    ("station", "moved_supervisor", Close.FORBIDDEN),
    ("other_station", "moved_supervisor", "ready"),
    ("station", "inactive_supervisor", Close.UNAUTHENTICATED),
    ("unknown_station", "supervisor", Close.NOT_FOUND),
    ("shipment", None, Close.UNAUTHENTICATED),
    ("shipment", "courier", Close.UNAUTHENTICATED),
    ("shipment", "supervisor", Close.UNAUTHENTICATED),
    ("shipment", "admin", Close.UNAUTHENTICATED),
    ("shipment", "link", "ready"),
    ("shipment", "expired_link", Close.UNAUTHENTICATED),
    ("shipment", "tampered_link", Close.UNAUTHENTICATED),
    ("shipment", "other_link", Close.FORBIDDEN),
    ("nowhere", "courier", Close.NOT_FOUND),
]


async def _outcome(world: dict, feed: str, who: str | None) -> object:
    w = world
    shipment, other = w["shipment"], w["other_shipment"]
    tokens = {
        "garbage": "not-a-token",
        "link": link_issue(shipment_id=shipment.pk),
        "expired_link": _PastSigner(salt=SALT).sign_object({"s": shipment.pk}),
        "tampered_link": link_issue(shipment_id=shipment.pk)[:-2] + "xx",
        "other_link": link_issue(shipment_id=other.pk),
    }
    token = tokens[who] if who in tokens else _token(w, who)
    base = {
        "courier": "/ws/courier/",
        "courier_own_id": f"/ws/courier/{w['courier'][0].pk}/",
        "courier_other_id": f"/ws/courier/{w['other_courier'][0].pk}/",
        "station": f"/ws/station/{w['station'].code}/",
        "other_station": f"/ws/station/{w['other_station'].code}/",
        "unknown_station": "/ws/station/NOPE/",
        "shipment": f"/ws/shipment/{shipment.tracking_no}/",
        "nowhere": "/ws/elsewhere/",
    }[feed]
    path = feed_path(base, token=token)
    sock = Socket(path)
    first = await sock.open()
    if first["type"] == "session.ready":
        assert first["payload"]["replayed"] == 0
        await sock.close()
        return "ready:" + first["payload"]["feed"]
    assert first["type"] == "error", first
    code = await sock.close_code()
    assert first["payload"]["details"]["close_code"] == code
    return Close(code)


# One test per feed (each websocket test pays a database flush): every role, with the exact outcome.
@pytest.mark.parametrize("feed", ["courier", "station", "shipment", "nowhere"])
async def test_who_may_open_each_feed(world, feed: str) -> None:
    cases = [(f, who, expected) for f, who, expected in CASES if f.startswith(feed) or f.endswith(feed)]
    got = {(f, who): await _outcome(world, f, who) for f, who, _ in cases}
    want = {(f, who): (f"ready:{feed}" if expected == "ready" else expected) for f, who, expected in cases}
    assert got == want


async def test_a_revoked_token_is_refused(courier) -> None:
    from tests.backend.realtime.conftest import run

    token = await run(ApiToken.objects.get)(user=courier[1].user)
    await run(token_revoke)(token=token, reason="lost handheld")
    assert await refused_with(feed_path("/ws/courier/", token=courier[1].token)) == Close.UNAUTHENTICATED


async def test_a_bad_or_future_cursor_is_a_bad_request(courier) -> None:
    for cursor in ["-1", "abc", "1.5", "99999999"]:
        path = feed_path("/ws/courier/", token=courier[1].token, cursor=cursor)
        assert await refused_with(path) == Close.BAD_REQUEST, cursor


async def test_a_native_client_needs_no_origin_but_a_foreign_page_is_refused(courier) -> None:
    from channels.testing import WebsocketCommunicator

    from backend.asgi import application

    path = feed_path("/ws/courier/", token=courier[1].token)
    foreign = WebsocketCommunicator(application, path, headers=[(b"origin", b"https://evil.example")])
    connected, _ = await foreign.connect()
    assert connected is False
    ours = Socket(path)
    ours.comm = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://127.0.0.1")])
    assert (await ours.open())["type"] == "session.ready"
    await ours.close()
