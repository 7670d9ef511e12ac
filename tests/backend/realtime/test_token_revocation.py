"""A revoked token keeps no socket: logout and revocation close its sockets at once, and a socket
whose revocation ring was lost can no longer act (it re-checks its token before every command)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from backend.accounts.models import ApiToken
from backend.realtime import token_sockets
from backend.realtime.codes import Close
from backend.shipments.models import Job
from tests.backend.realtime.conftest import Socket, feed_path, refused_with, run
from tests.backend.realtime.helpers import assign, open_ready
from tests.fixtures.jobs import make_job

pytestmark = pytest.mark.django_db(transaction=True)


def _post(url: str, token: str, body: dict[str, Any] | None = None) -> int:
    client = APIClient()
    return client.post(url, body or {}, format="json", HTTP_AUTHORIZATION=f"Token {token}").status_code


async def _closed_unauthenticated(sock: Socket) -> None:
    error = await sock.receive()
    assert (error["type"], error["payload"]["code"]) == ("error", "not_authenticated")
    assert await sock.close_code() == Close.UNAUTHENTICATED


async def test_logout_closes_the_tokens_sockets_at_once(station, supervisor):  # type: ignore[no-untyped-def]
    sup = await open_ready(feed_path(f"/ws/station/{station.code}/", token=supervisor.token))
    assert await run(_post)("/api/v1/auth/logout", supervisor.token) == 204
    await _closed_unauthenticated(sup)


async def test_a_supervisors_revocation_closes_the_couriers_socket(station, courier, supervisor):  # type: ignore[no-untyped-def]
    x, x_person = courier
    xs = await open_ready(feed_path("/ws/courier/", token=x_person.token))
    status = await run(_post)(
        f"/api/v1/couriers/{x.pk}/revoke-tokens", supervisor.token, {"reason": "phone stolen"}
    )
    assert status == 200
    await _closed_unauthenticated(xs)


async def test_a_socket_whose_ring_was_lost_cannot_act(station, courier, other_courier, supervisor):  # type: ignore[no-untyped-def]
    (x, _), (y, _) = courier, other_courier
    job = await run(make_job)(station, supervisor.ctx)
    await assign(job.pk, x.pk, supervisor)
    sup = await open_ready(feed_path(f"/ws/station/{station.code}/", token=supervisor.token))
    await sup.drain()
    # Revoked behind the socket's back (no ring reaches it): the next command must not run.
    await run(ApiToken.objects.filter(user=supervisor.user).update)(revoked_at=timezone.now())
    await sup.send({"type": "job.reassign", "id": 1, "payload": {"job_id": job.pk, "courier_id": y.pk}})
    await _closed_unauthenticated(sup)
    assert (await run(Job.objects.get)(pk=job.pk)).courier_id == x.pk


async def test_one_token_holds_a_few_sockets_at_most(station, courier, settings):  # type: ignore[no-untyped-def]
    """Issue 16: 40 sockets were accepted for one token. A closed one gives its place back."""
    settings.PARCELRUN_WS_SOCKETS_PER_TOKEN = 2
    path = feed_path("/ws/courier/", token=courier[1].token)
    first, second = await open_ready(path), await open_ready(path)
    assert await refused_with(path) == Close.TOO_MANY_SOCKETS
    await first.close()
    third = await open_ready(path)
    await second.close()
    await third.close()


async def test_a_killed_workers_sockets_give_their_places_back_when_their_leases_lapse(  # type: ignore[no-untyped-def]
    station, courier, settings
):
    """Issue 16 (found by the ASGI kill test): a worker killed with open sockets never ran their
    disconnects, and a plain per-token counter kept those places for six hours, so a few restarts
    locked the courier out of the live feed. Places are leases now: nobody renews a dead socket's."""
    settings.PARCELRUN_WS_SOCKETS_PER_TOKEN = 2
    settings.PARCELRUN_WS_SOCKET_LEASE_S = 1
    token_id = await ApiToken.objects.values_list("pk", flat=True).aget(user=courier[1].user)
    # Two sockets of a worker that was then SIGKILLed: their places were taken, never given back.
    assert await token_sockets.claim(token_id, "dead-worker!a") == 0
    assert await token_sockets.claim(token_id, "dead-worker!b") == 1
    path = feed_path("/ws/courier/", token=courier[1].token)
    assert await refused_with(path) == Close.TOO_MANY_SOCKETS
    deadline = time.monotonic() + 10
    while await token_sockets.claim(token_id, "probe") is None:  # the leases lapse within their second
        assert time.monotonic() < deadline, "the dead sockets' places never came free"
        await asyncio.sleep(0.1)
    await token_sockets.release(token_id, 0, "probe")
    sock = await open_ready(path)
    await sock.close()


async def test_a_live_socket_keeps_its_place_by_renewing_and_never_frees_another_sockets(  # type: ignore[no-untyped-def]
    station, courier, settings
):
    settings.PARCELRUN_WS_SOCKETS_PER_TOKEN = 1
    token_id = 10**9  # the leases are keyed by token id alone
    assert await token_sockets.claim(token_id, "a") == 0
    assert await token_sockets.claim(token_id, "b") is None
    assert await token_sockets.renew(token_id, 0, "a")
    assert not await token_sockets.renew(token_id, 0, "b")  # not b's place
    await token_sockets.release(token_id, 0, "b")  # a stranger's release frees nothing
    assert await token_sockets.claim(token_id, "c") is None
    await token_sockets.release(token_id, 0, "a")
    assert await token_sockets.claim(token_id, "c") == 0
    await token_sockets.release(token_id, 0, "c")
