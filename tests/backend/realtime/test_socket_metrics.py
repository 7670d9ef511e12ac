"""Open sockets per feed and the feed lag reach the Prometheus metrics (issue 16)."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from backend.shipments.services import job_assign, scan
from tests.backend.realtime.conftest import Socket, feed_path, run
from tests.fixtures.jobs import make_job

pytestmark = pytest.mark.django_db(transaction=True)


def sample(name: str, feed: str) -> float:
    return REGISTRY.get_sample_value(name, {"feed": feed}) or 0.0


def _assigned(station, staff, courier_id: int) -> None:
    job = make_job(station, staff.ctx)
    scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=staff.ctx)
    job_assign(job_id=job.pk, courier_id=courier_id, ctx=staff.ctx)


async def test_open_sockets_and_feed_lag_are_measured_per_feed(station, courier, supervisor) -> None:
    x, xp = courier
    opened = sample("parcelrun_websockets_open", "courier")
    lagged = sample("parcelrun_feed_lag_seconds_count", "courier")
    sock = Socket(feed_path("/ws/courier/", token=xp.token))
    assert (await sock.open())["type"] == "session.ready"
    assert sample("parcelrun_websockets_open", "courier") - opened == 1

    await run(_assigned)(station, supervisor, x.pk)
    assert [m["type"] for m in await sock.drain()] == ["job.assigned"]
    assert sample("parcelrun_feed_lag_seconds_count", "courier") - lagged == 1

    await sock.close()
    assert sample("parcelrun_websockets_open", "courier") == opened
