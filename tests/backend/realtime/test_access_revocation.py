"""Access withdrawn while a socket is open: the services that take a station (or every station)
from a person close that person's sockets whose feed is no longer theirs, at once, and no row of
the station reaches them afterwards; a socket whose feed is still theirs carries on with the access
they have now. A reconnect (with or without a cursor) is refused the same way.

Found by a security review: a station manager whose station was revoked kept receiving that
station's feed, every customer's name, phone and address in it, until their socket reconnected.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from backend.accounts.services import user_set_active
from backend.couriers.models import Supervisor
from backend.couriers.services import courier_update, supervisor_delete, supervisor_update
from backend.realtime.codes import Close
from backend.shipments.models import Job
from backend.stations.models import ManagedStation
from backend.stations.services.managers import manager_revoke
from tests.backend.realtime.conftest import Socket, feed_path, refused_with, run
from tests.backend.realtime.helpers import assign, head, open_ready
from tests.fixtures.jobs import make_job
from tests.fixtures.people import make_manager, make_station

pytestmark = pytest.mark.django_db(transaction=True)


def _station_path(station: Any, token: str, cursor: int | None = None) -> str:
    return feed_path(f"/ws/station/{station.code}/", token=token, cursor=cursor)


async def _closed_with(sock: Socket, close: Close, code: str) -> None:
    """The socket is told why (``error`` naming the close code), then closed with it."""
    error = await sock.receive()
    assert (error["type"], error["payload"]["code"]) == ("error", code), error
    assert error["payload"]["details"]["close_code"] == close
    assert await sock.close_code() == close


async def _nothing_more(sock: Socket, station: Any, staff: Any) -> None:
    """A change at the station after the close reaches the closed socket no more."""
    await run(make_job)(station, staff.ctx)
    assert await sock.comm.receive_nothing(timeout=0.5)


async def test_revoking_a_managers_station_closes_its_feed_and_keeps_their_other_station(  # type: ignore[no-untyped-def]
    station, supervisor
):
    other = await run(make_station)()
    boss = await run(make_manager)(station, other)
    here = await open_ready(_station_path(station, boss.token))
    there = await open_ready(_station_path(other, boss.token))

    assert await run(manager_revoke)(user_id=boss.user.pk, station_id=station.pk)

    await _closed_with(here, Close.FORBIDDEN, "access_revoked")
    await _nothing_more(here, station, supervisor)
    # The station they still run: the socket stays, and keeps receiving.
    assert [m for m in await there.drain() if m["type"] != "ping"] == []
    job = await run(make_job)(other, boss.ctx)
    created = await there.receive()
    assert (created["type"], created["payload"]["job"]["id"]) == ("job.created", job.pk)
    await there.close()


async def test_a_re_scoped_socket_commands_with_the_access_its_person_has_now(  # type: ignore[no-untyped-def]
    station, courier, supervisor
):
    """The manager's socket on the station they keep can no longer act at the one they lost."""
    other = await run(make_station)()
    boss = await run(make_manager)(station, other)
    job = await run(make_job)(station, supervisor.ctx)
    x, _ = courier
    there = await open_ready(_station_path(other, boss.token))
    await run(manager_revoke)(user_id=boss.user.pk, station_id=station.pk)
    await there.drain()
    await there.send({"type": "job.reassign", "id": 7, "payload": {"job_id": job.pk, "courier_id": x.pk}})
    refused = await there.receive()
    assert (refused["type"], refused["payload"]["id"], refused["payload"]["code"]) == (
        "error",
        7,
        "permission_denied",
    )
    assert (await run(Job.objects.get)(pk=job.pk)).courier_id is None
    await there.close()


async def test_a_reconnect_after_the_revocation_is_refused_and_replays_nothing(station, supervisor):  # type: ignore[no-untyped-def]
    boss = await run(make_manager)(station)
    sock = await open_ready(_station_path(station, boss.token))
    cursor = await head()
    await run(make_job)(station, supervisor.ctx)  # missed while away: must not be replayed to them
    await sock.close()
    await run(manager_revoke)(user_id=boss.user.pk, station_id=station.pk)
    assert await refused_with(_station_path(station, boss.token, cursor)) == Close.FORBIDDEN
    assert await refused_with(_station_path(station, boss.token)) == Close.FORBIDDEN


async def test_a_supervisor_moved_to_another_station_loses_the_old_stations_feed(station, supervisor):  # type: ignore[no-untyped-def]
    other = await run(make_station)()
    sock = await open_ready(_station_path(station, supervisor.token))
    sup_id = await run(Supervisor.objects.values_list("pk", flat=True).get)(user=supervisor.user)
    await run(supervisor_update)(supervisor_id=sup_id, changes={"station": other.pk})
    await _closed_with(sock, Close.FORBIDDEN, "access_revoked")
    boss = await run(make_manager)(station)
    await _nothing_more(sock, station, boss)
    await open_ready(_station_path(other, supervisor.token))  # the new one is theirs


async def test_a_renamed_supervisor_keeps_their_socket(station, supervisor):  # type: ignore[no-untyped-def]
    sock = await open_ready(_station_path(station, supervisor.token))
    sup_id = await run(Supervisor.objects.values_list("pk", flat=True).get)(user=supervisor.user)
    await run(supervisor_update)(supervisor_id=sup_id, changes={"name": "王站长", "station": station.pk})
    job = await run(make_job)(station, supervisor.ctx)
    assert [(m["type"], m["payload"]["job"]["id"]) for m in await sock.drain()] == [("job.created", job.pk)]
    await sock.close()


async def test_a_deleted_supervisor_role_closes_the_feed(station, supervisor):  # type: ignore[no-untyped-def]
    sock = await open_ready(_station_path(station, supervisor.token))
    sup_id = await run(Supervisor.objects.values_list("pk", flat=True).get)(user=supervisor.user)
    await run(supervisor_delete)(supervisor_id=sup_id)
    await _closed_with(sock, Close.FORBIDDEN, "access_revoked")


async def test_a_deactivated_user_is_closed_4401_on_every_feed(station, courier, supervisor):  # type: ignore[no-untyped-def]
    x, person = courier
    handheld = await open_ready(feed_path("/ws/courier/", token=person.token))
    desk = await open_ready(_station_path(station, supervisor.token))
    await run(user_set_active)(user_id=person.user.pk, active=False)
    await _closed_with(handheld, Close.UNAUTHENTICATED, "not_authenticated")
    await run(user_set_active)(user_id=supervisor.user.pk, active=False)
    await _closed_with(desk, Close.UNAUTHENTICATED, "not_authenticated")
    assert await refused_with(feed_path("/ws/courier/", token=person.token)) == Close.UNAUTHENTICATED


async def test_a_courier_moved_to_another_station_keeps_their_own_feed(station, courier, supervisor):  # type: ignore[no-untyped-def]
    """The courier feed is the courier's wherever they work: re-scoped, not closed."""
    other = await run(make_station)()
    x, person = courier
    handheld = await open_ready(feed_path("/ws/courier/", token=person.token))
    await run(courier_update)(courier_id=x.pk, changes={"station": other.pk})
    assert await handheld.drain() == []
    boss = await run(make_manager)(other)
    job = await run(make_job)(other, boss.ctx)
    await assign(job.pk, x.pk, boss)
    got = [m for m in await handheld.drain() if m["type"] == "job.assigned"]
    assert [m["payload"]["job"]["id"] for m in got] == [job.pk]
    await handheld.close()


async def test_an_admin_no_longer_superuser_loses_other_stations_feeds(station, admin):  # type: ignore[no-untyped-def]
    """Django's user admin writes the user itself: its save rings the person's sockets."""
    sock = await open_ready(_station_path(station, admin.token))
    root = await run(User.objects.create_superuser)("root-revoker", password="root-pass-1")

    def untick_superuser() -> int:
        browser = Client()
        browser.force_login(root)
        user = User.objects.get(pk=admin.user.pk)
        response = browser.post(
            f"/admin/auth/user/{user.pk}/change/",
            {
                "username": user.username,
                "is_active": "on",
                "is_staff": "on",  # is_superuser left out: unticked
                "last_login_0": "",
                "last_login_1": "",
                "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
                "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            },
        )
        return response.status_code

    assert await run(untick_superuser)() == 302
    # Signed in still (the token lives) but no role any more: the feed is no longer theirs.
    await _closed_with(sock, Close.FORBIDDEN, "access_revoked")


async def test_a_socket_whose_ring_was_lost_cannot_act_and_closes(station, courier, supervisor):  # type: ignore[no-untyped-def]
    """The ring is the fast path; every command re-reads the access first."""
    x, _ = courier
    boss = await run(make_manager)(station)
    job = await run(make_job)(station, supervisor.ctx)
    sock = await open_ready(_station_path(station, boss.token))
    await sock.drain()

    def revoke_silently() -> None:  # no service, so no ring: a ring the channel layer lost
        with transaction.atomic():
            ManagedStation.objects.filter(manager__user=boss.user).delete()

    await run(revoke_silently)()
    await sock.send({"type": "job.reassign", "id": 1, "payload": {"job_id": job.pk, "courier_id": x.pk}})
    await _closed_with(sock, Close.FORBIDDEN, "access_revoked")
    assert (await run(Job.objects.get)(pk=job.pk)).courier_id is None


async def test_the_heartbeat_closes_a_socket_whose_ring_was_lost(station, supervisor, settings):  # type: ignore[no-untyped-def]
    settings.PARCELRUN_WS_PING_INTERVAL_S = 0.2
    boss = await run(make_manager)(station)
    sock = await open_ready(_station_path(station, boss.token))
    await run(ManagedStation.objects.filter(manager__user=boss.user).delete)()
    messages = []
    while (message := await sock.receive())["type"] == "ping":
        messages.append(message)
    assert (message["type"], message["payload"]["code"]) == ("error", "access_revoked")
    assert await sock.close_code() == Close.FORBIDDEN
    assert len(messages) <= 1  # a ping already on its way at most
