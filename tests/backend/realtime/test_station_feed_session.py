"""The console's page opens the station feed with its login session instead of a device token."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client

from backend.asgi import application
from backend.couriers.models import Courier, Station
from backend.realtime.codes import Close
from backend.stations.services.managers import manager_revoke
from tests.backend.realtime.conftest import Socket, run
from tests.fixtures.people import Person, make_manager

pytestmark = pytest.mark.django_db(transaction=True)


def _session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return str(client.cookies["sessionid"].value)


class SessionSocket(Socket):
    def __init__(self, path: str, session: str | None, origin: str = "http://testserver") -> None:
        super().__init__(path)
        headers = [(b"origin", origin.encode())]
        if session is not None:
            headers.append((b"cookie", f"sessionid={session}".encode()))
        self.comm = WebsocketCommunicator(application, path, headers=headers)


async def _refusal(sock: Socket) -> int:
    first = await sock.open()
    assert first["type"] == "error", first
    code = await sock.close_code()
    await sock.close()
    return code


async def test_a_supervisor_s_session_opens_their_station_feed(station: Station, supervisor: Person) -> None:
    sock = SessionSocket(f"/ws/station/{station.code}/", await run(_session_cookie)(supervisor.user))
    ready = await sock.open()
    assert ready["type"] == "session.ready" and ready["payload"]["feed"] == "station"
    await sock.close()


async def test_another_station_s_supervisor_session_is_refused(
    station: Station, other_supervisor: Person
) -> None:
    sock = SessionSocket(f"/ws/station/{station.code}/", await run(_session_cookie)(other_supervisor.user))
    assert await _refusal(sock) == Close.FORBIDDEN


async def test_a_courier_session_is_refused(station: Station, courier: tuple[Courier, Person]) -> None:
    sock = SessionSocket(f"/ws/station/{station.code}/", await run(_session_cookie)(courier[1].user))
    assert await _refusal(sock) == Close.FORBIDDEN


async def test_no_session_and_no_token_is_unauthenticated(station: Station) -> None:
    assert await _refusal(SessionSocket(f"/ws/station/{station.code}/", None)) == Close.UNAUTHENTICATED


async def test_a_page_on_another_site_cannot_use_the_cookie(station: Station, supervisor: Person) -> None:
    cookie = await run(_session_cookie)(supervisor.user)
    sock = SessionSocket(f"/ws/station/{station.code}/", cookie, origin="https://evil.example")
    connected, _ = await sock.comm.connect(timeout=5)
    assert connected is False


async def test_a_managers_session_socket_closes_when_the_station_is_revoked(station: Station) -> None:
    """No token to revoke: the person's access is re-read all the same (test_access_revocation.py)."""
    boss = await run(make_manager)(station)
    sock = SessionSocket(f"/ws/station/{station.code}/", await run(_session_cookie)(boss.user))
    assert (await sock.open())["type"] == "session.ready"
    await run(manager_revoke)(user_id=boss.user.pk, station_id=station.pk)
    error = await sock.receive()
    assert (error["type"], error["payload"]["code"]) == ("error", "access_revoked")
    assert await sock.close_code() == Close.FORBIDDEN


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def test_logging_out_closes_the_sessions_socket_and_no_other(
    station: Station, supervisor: Person
) -> None:
    """Found by a review: the console's socket outlived its login session after the person logged out."""
    leaving, staying = await run(_logged_in)(supervisor.user), await run(_logged_in)(supervisor.user)
    this_tab = SessionSocket(f"/ws/station/{station.code}/", leaving.cookies["sessionid"].value)
    other_browser = SessionSocket(f"/ws/station/{station.code}/", staying.cookies["sessionid"].value)
    assert (await this_tab.open())["type"] == "session.ready"
    assert (await other_browser.open())["type"] == "session.ready"

    response = await run(leaving.post)("/console/logout/")
    assert response.status_code == 302

    error = await this_tab.receive()
    assert (error["type"], error["payload"]["code"]) == ("error", "not_authenticated")
    assert error["payload"]["details"]["close_code"] == Close.UNAUTHENTICATED
    assert await this_tab.close_code() == Close.UNAUTHENTICATED
    assert await other_browser.drain() == []  # another login session of the same person carries on
    await other_browser.close()


async def test_a_session_ended_without_a_ring_closes_its_socket_at_the_heartbeat(
    station: Station, supervisor: Person, settings: Any
) -> None:
    """An expired or flushed session (no logout to ring the socket): the heartbeat's re-read finds it gone."""
    settings.PARCELRUN_WS_PING_INTERVAL_S = 0.2
    cookie = await run(_session_cookie)(supervisor.user)
    sock = SessionSocket(f"/ws/station/{station.code}/", cookie)
    assert (await sock.open())["type"] == "session.ready"

    await run(lambda: import_module(django_settings.SESSION_ENGINE).SessionStore(cookie).delete())()

    messages = [await sock.receive(timeout=5)]
    while messages[-1]["type"] == "ping":
        messages.append(await sock.receive(timeout=5))
    assert (messages[-1]["type"], messages[-1]["payload"]["code"]) == ("error", "not_authenticated")
    assert await sock.close_code() == Close.UNAUTHENTICATED
