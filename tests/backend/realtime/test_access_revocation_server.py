"""The access revocation of test_access_revocation.py end to end: a real daphne worker on Redis and
PostgreSQL, a `websockets` client, the service called in this process (another process than the
socket's, as the admin's would be). The close code arrives on the wire, and no row after it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from backend.realtime.codes import Close
from backend.realtime.validation import validate
from backend.stations.services.managers import manager_revoke
from bench.asgi_workers import Worker, start_workers, stop_workers
from tests.backend.realtime.conftest import run
from tests.fixtures.jobs import make_job
from tests.fixtures.people import make_manager, make_station
from tests.servers import database_url

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(transactional_db: None, tmp_path: Path) -> Iterator[Worker]:
    started = start_workers(1, database_url=database_url(), redis_url=settings.REDIS_URL, log_dir=tmp_path)
    yield started[0]
    stop_workers(started)  # before the test database is flushed


async def _open(worker: Worker, code: str, token: str) -> ClientConnection:
    ws = await connect(
        f"{worker.ws}/ws/station/{code}/?{urlencode({'token': token})}", proxy=None, open_timeout=30
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "session.ready"
    return ws


async def _received(ws: ClientConnection, timeout: float = 5) -> list[dict]:
    """Everything the server sends until it closes the socket."""
    out = []
    try:
        async with asyncio.timeout(timeout):
            async for raw in ws:
                message = json.loads(raw)
                validate(message)
                out.append(message)
    except ConnectionClosed:
        pass
    return out


async def test_revoking_a_managers_station_closes_their_socket_on_a_real_server(worker, station, supervisor):  # type: ignore[no-untyped-def]
    other = await run(make_station)()
    boss = await run(make_manager)(station, other)
    lost = await _open(worker, station.code, boss.token)
    kept = await _open(worker, other.code, boss.token)

    await run(manager_revoke)(user_id=boss.user.pk, station_id=station.pk)
    after = await run(make_job)(station, supervisor.ctx)  # committed after the revocation

    got = await _received(lost)
    assert [(m["type"], m["payload"]["code"]) for m in got] == [("error", "access_revoked")]
    assert got[0]["payload"]["details"]["close_code"] == Close.FORBIDDEN
    assert lost.close_code == Close.FORBIDDEN
    assert after.pk not in {m["payload"].get("job", {}).get("id") for m in got}

    job = await run(make_job)(other, boss.ctx)  # the station they keep still reaches them
    message = json.loads(await asyncio.wait_for(kept.recv(), 10))
    assert (message["type"], message["payload"]["job"]["id"]) == ("job.created", job.pk)
    await kept.close()


async def test_logging_out_of_the_console_closes_its_socket_on_a_real_server(worker, station, supervisor):  # type: ignore[no-untyped-def]
    """The console's own socket (its login session's cookie, no token): logging out, served in this
    process, closes it in the worker's."""
    client = Client()
    await run(client.force_login)(supervisor.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    ws = await connect(
        f"{worker.ws}/ws/station/{station.code}/",
        proxy=None,
        open_timeout=30,
        additional_headers={"Cookie": cookie},
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "session.ready"

    assert (await run(client.post)("/console/logout/")).status_code == 302
    after = await run(make_job)(station, supervisor.ctx)  # committed after the logout

    got = await _received(ws)
    assert [(m["type"], m["payload"]["code"]) for m in got] == [("error", "not_authenticated")]
    assert ws.close_code == Close.UNAUTHENTICATED
    assert after.pk not in {m["payload"].get("job", {}).get("id") for m in got}
