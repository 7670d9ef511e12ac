"""The live channel against a real daphne process (PostgreSQL, Redis): a push makes the core pull now.

The sync poll is set to a minute, so a job that shows up within 2 s came through the doorbell.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from backend.accounts.services import tokens_revoke_for_user
from backend.shipments.services import job_assign
from bench.asgi_workers import Worker
from mobile.core import Config, Core
from mobile.offline.live import LiveChannel
from tests.e2e.test_core_against_server import server  # noqa: F401  (the daphne fixture)
from tests.fixtures.jobs import make_job
from tests.mobile.core.helpers import Recorder, make_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PASSWORD = "courier-pass-1"
EXPIRED = "Your login has expired: log in again"


def wait_for(check: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@pytest.fixture
def cores() -> Iterator[list[Core]]:
    made: list[Core] = []
    yield made
    for core in made:
        core.stop_background()


def live_core(data_dir: Path, server_url: str, made: list[Core]) -> Core:
    config = Config(data_dir=data_dir, server_url=server_url, pbkdf2_iterations=1000, sync_interval_s=60.0)
    core = Core(config, live=True)
    made.append(core)
    return core


def test_a_job_assigned_by_the_supervisor_shows_within_2_s(
    server: Worker,  # noqa: F811
    tmp_path: Path,
    cores: list[Core],
) -> None:
    world = make_world(deliveries=1)
    core = live_core(tmp_path / "phone", server.http, cores)
    heard = Recorder(core.bus)
    core.login(world["courier"].employee_no, PASSWORD)
    before = {j["id"] for j in core.jobs()}
    core.start_background()
    assert core.live is not None and core.live.connected.wait(10)
    assert wait_for(lambda: core.engine is not None and core.engine.last_sync_at is not None, 5)

    boss = world["boss"]
    job = make_job(world["station"], boss.ctx, "delivery")
    started = time.monotonic()
    job_assign(job_id=job.pk, courier_id=world["courier"].pk, ctx=boss.ctx)

    assert wait_for(lambda: job.pk in {j["id"] for j in core.jobs()}, 2.0)
    elapsed = time.monotonic() - started
    assert {j["id"] for j in core.jobs()} == before | {job.pk}
    assert wait_for(lambda: "New job assigned: {address}" in heard.notices(), 1.0)
    assert core.live.stopped_by is None and core.live.running
    print(f"assigned → shown on the handheld: {elapsed * 1000:.0f} ms")


def test_a_revoked_token_stops_the_channel_with_4401(server: Worker, tmp_path: Path) -> None:  # noqa: F811
    world = make_world(deliveries=1)
    core = Core(
        Config(data_dir=tmp_path / "phone", server_url=server.http, pbkdf2_iterations=1000), live=False
    )
    session = core.login(world["courier"].employee_no, PASSWORD)
    tokens_revoke_for_user(user_id=world["courier"].user_id, reason="lost handheld")
    revoked: list[tuple[int, str]] = []
    done = threading.Event()

    def on_revoked(close_code: int, error_code: str) -> None:
        revoked.append((close_code, error_code))
        done.set()

    rings: list[int] = []
    live = LiveChannel(
        server.http, token=lambda: session.token, on_change=lambda: rings.append(1), on_revoked=on_revoked
    )
    live.start()
    assert done.wait(10)
    assert wait_for(lambda: not live.running, 2)
    assert revoked == [(4401, "not_authenticated")]
    assert live.stopped_by == 4401 and live.connects == 1 and rings == []
    core.store.close()  # type: ignore[union-attr]
