"""Commands over the socket go to the services; heartbeats and slow readers close with their codes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from backend.realtime.codes import Close
from backend.realtime.links import link_issue
from backend.shipments.models import Job
from backend.shipments.services import job_start, scan
from tests.backend.realtime.conftest import feed_path, run
from tests.backend.realtime.helpers import assign, open_ready
from tests.fixtures.jobs import make_job

pytestmark = pytest.mark.django_db(transaction=True)


async def test_reassign_over_the_socket_is_the_reassignment_service(
    station, courier, other_courier, supervisor
):  # type: ignore[no-untyped-def]
    (x, x_person), (y, y_person) = courier, other_courier
    job = await run(make_job)(station, supervisor.ctx)
    await assign(job.pk, x.pk, supervisor)
    xs = await open_ready(feed_path("/ws/courier/", token=x_person.token))
    ys = await open_ready(feed_path("/ws/courier/", token=y_person.token))
    sup = await open_ready(feed_path(f"/ws/station/{station.code}/", token=supervisor.token))

    await xs.send({"type": "job.reassign", "id": "c1", "payload": {"job_id": job.pk, "courier_id": x.pk}})
    refused = await xs.receive()
    assert refused["type"] == "error"
    assert (refused["payload"]["id"], refused["payload"]["code"]) == ("c1", "wrong_role")

    command = {"job_id": job.pk, "courier_id": y.pk, "reason": "x is stuck in traffic"}
    await sup.send({"type": "job.reassign", "id": 7, "payload": command})
    replies = await sup.drain()
    # The same service as POST /reassignments: the move, then the job's place in y's route.
    assert sorted(_types(replies)) == ["command.ok", "job.assigned", "route.planned"]
    ok = next(m for m in replies if m["type"] == "command.ok")
    moved = await run(Job.objects.get)(pk=job.pk)
    assert ok["payload"] == {
        "id": 7,
        "type": "job.reassign",
        "result": {"job_id": job.pk, "version": moved.version, "courier_id": y.pk},
    }
    assert moved.courier_id == y.pk
    assert _types(await xs.drain()) == ["job.revoked"]
    assert _types(await ys.drain()) == ["job.assigned", "route.planned"]
    for sock in (xs, ys, sup):
        await sock.close()


async def test_bad_commands_get_an_error_and_the_socket_staysopen_ready(station, courier, supervisor):
    job = await run(make_job)(station, supervisor.ctx)
    xs = await open_ready(feed_path("/ws/courier/", token=courier[1].token))
    customer = await open_ready(
        feed_path(f"/ws/shipment/{job.shipment.tracking_no}/", token=link_issue(shipment_id=job.shipment_id))
    )
    await xs.comm.send_to(text_data="{not json")
    assert (await xs.receive())["payload"]["code"] == "parse_error"
    await xs.send({"type": "teleport", "payload": {}})
    assert (await xs.receive())["payload"]["code"] == "invalid"
    await xs.send({"type": "job.reassign", "payload": {"job_id": "1; drop table", "courier_id": 1}})
    assert (await xs.receive())["payload"]["details"] == {"field": "job_id"}
    await customer.send({"type": "location.ping", "payload": {}})
    assert (await customer.receive())["payload"]["code"] == "permission_denied"
    await xs.send({"type": "pong", "cursor": 0})
    assert await xs.drain() == []  # still open, nothing to say
    await xs.close()
    await customer.close()


def _has_position(message: dict[str, Any]) -> bool:
    payload = message.get("payload") or {}
    return message["type"] == "courier.location" or "lat" in payload or "lng" in payload


async def test_location_pings_reach_the_station_exactly_and_no_customer(station, courier, supervisor):
    x, x_person = courier
    started = await run(make_job)(station, supervisor.ctx)
    waiting = await run(make_job)(station, supervisor.ctx)
    await run(scan)(tracking_no=started.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    for job in (started, waiting):
        await assign(job.pk, x.pk, supervisor)
    await run(job_start)(job_id=started.pk, ctx=x_person.ctx)
    xs = await open_ready(feed_path("/ws/courier/", token=x_person.token))
    sup = await open_ready(feed_path(f"/ws/station/{station.code}/", token=supervisor.token))
    next_customer = await open_ready(
        feed_path(
            f"/ws/shipment/{started.shipment.tracking_no}/", token=link_issue(shipment_id=started.shipment_id)
        )
    )
    later_customer = await open_ready(
        feed_path(
            f"/ws/shipment/{waiting.shipment.tracking_no}/", token=link_issue(shipment_id=waiting.shipment_id)
        )
    )

    fix = {
        "lat": 30.274085,
        "lng": 120.155070,
        "accuracy_m": 8.5,
        "recorded_at": datetime.now(UTC).isoformat(),
    }
    await xs.send({"type": "location.ping", "id": "p1", "payload": fix})
    ok = await xs.receive()
    assert ok["type"] == "command.ok" and ok["payload"]["id"] == "p1"
    # Only the ping is asserted here: a job's re-plan or ETA refresh from the set-up may still be on
    # its way to the station socket (seen at a shifted clock on a busy box).
    [exact] = [m for m in await sup.drain() if m["type"] == "courier.location"]
    assert exact["payload"] == {
        "courier_id": x.pk,
        "lat": fix["lat"],
        "lng": fix["lng"],
        "accuracy_m": 8.5,
        "recorded_at": exact["payload"]["recorded_at"],
    }
    # The customer's page shows no map: not even the next stop's customer gets a position.
    assert [m for m in await next_customer.drain() if _has_position(m)] == []
    assert [m for m in await later_customer.drain() if _has_position(m)] == []

    moved = {**fix, "lat": 30.28, "lng": 120.16}  # another place: what the refused ping said
    await xs.send({"type": "location.ping", "id": "p2", "payload": moved})
    limited = await xs.receive()
    assert limited["payload"]["code"] == "rate_limited" and limited["payload"]["id"] == "p2"
    assert 0 < limited["payload"]["details"]["retry_after_s"] <= 5
    # The refused ping reaches nobody. (A "second copy" of the first ping once came here: it was the
    # other clock run's ping, same test and station id, over Redis pub/sub, which ignores the
    # database number. The channel prefix now carries it: tests/backend/broadcast/test_layers.py.)
    assert [m for m in await sup.drain() if m["type"] == "courier.location"] == []
    for sock in (xs, sup, next_customer, later_customer):
        await sock.close()


async def test_a_silent_client_is_closed_4408(courier, settings):
    settings.PARCELRUN_WS_PING_INTERVAL_S = 0.2
    settings.PARCELRUN_WS_PING_TIMEOUT_S = 0.3
    xs = await open_ready(feed_path("/ws/courier/", token=courier[1].token))
    ping = await xs.receive(timeout=2)
    assert ping["type"] == "ping"
    await xs.send({"type": "pong", "cursor": ping["cursor"]})
    assert (await xs.receive(timeout=2))["type"] == "ping"  # answered: still open
    # From now on the client says nothing.
    while (message := await xs.receive(timeout=2))["type"] == "ping":
        pass
    assert message["payload"]["code"] == "heartbeat_timeout"
    assert await xs.close_code() == Close.HEARTBEAT_TIMEOUT


async def test_a_full_window_holds_messages_back_until_the_client_acknowledges(
    station, courier, supervisor, settings
):  # type: ignore[no-untyped-def]
    settings.PARCELRUN_WS_MAX_UNACKED = 3
    x, x_person = courier
    jobs = [await run(make_job)(station, supervisor.ctx) for _ in range(5)]
    xs = await open_ready(feed_path("/ws/courier/", token=x_person.token))
    for job in jobs:
        await assign(job.pk, x.pk, supervisor)
    first = await xs.drain()
    # Half the window (at least one) unacknowledged asks for a pong at once; a full window sends
    # nothing more: the other two assignments wait in the feed, not in the server's buffers.
    assert _types(first) == ["job.assigned", "ping", "job.assigned", "job.assigned"]
    assert [m["payload"]["job"]["id"] for m in first if m["type"] == "job.assigned"] == [
        j.pk for j in jobs[:3]
    ]
    await xs.send({"type": "pong", "cursor": first[-1]["cursor"]})
    rest = await xs.drain()
    assert [m["payload"]["job"]["id"] for m in rest if m["type"] == "job.assigned"] == [
        j.pk for j in jobs[3:]
    ]
    assert set(_types(rest)) == {"job.assigned", "ping"}
    await xs.close()


async def test_a_client_that_stops_reading_is_closed_4429(station, courier, supervisor, settings):
    settings.PARCELRUN_WS_MAX_UNACKED = 2
    settings.PARCELRUN_WS_PING_INTERVAL_S = 0.2
    settings.PARCELRUN_WS_PING_TIMEOUT_S = 0.3
    x, x_person = courier
    jobs = [await run(make_job)(station, supervisor.ctx) for _ in range(3)]
    xs = await open_ready(feed_path("/ws/courier/", token=x_person.token))
    for job in jobs:  # three messages for a window of two, and the client never answers
        await assign(job.pk, x.pk, supervisor)
    got = []
    while (message := await xs.receive(timeout=3))["type"] != "error":
        got.append(message)
    assert [m["payload"]["job"]["id"] for m in got if m["type"] == "job.assigned"] == [j.pk for j in jobs[:2]]
    assert message["payload"]["code"] == "too_slow"
    assert await xs.close_code() == Close.TOO_SLOW


async def test_a_client_that_reads_and_answers_pings_is_never_cut(station, courier, supervisor, settings):
    """More messages than the limit between two heartbeats (a busy station) to a client that reads
    each one: the server asks for the acknowledgement early, and the socket stays open."""
    settings.PARCELRUN_WS_MAX_UNACKED = 4
    x, x_person = courier
    jobs = [await run(make_job)(station, supervisor.ctx) for _ in range(12)]
    xs = await open_ready(feed_path("/ws/courier/", token=x_person.token))
    cursor, early_pings = None, []
    for job in jobs:
        await assign(job.pk, x.pk, supervisor)
        while True:
            message = await xs.receive()
            assert message["type"] in ("job.assigned", "ping"), message
            if message["type"] == "ping":
                early_pings.append((message["cursor"], cursor))
                await xs.send({"type": "pong", "cursor": cursor})
                continue
            cursor = message["cursor"]
            if message["payload"]["job"]["id"] == job.pk:
                break
    assert {m["type"] for m in await xs.drain()} <= {"ping"}  # no error, no close
    # 12 messages, three times the limit, in far less than a heartbeat interval: the server asked
    # early, and each early ping carries the cursor of the message just sent.
    assert len(early_pings) >= 3
    assert all(ping == last for ping, last in early_pings)
    assert await run(Job.objects.filter(courier_id=x.pk).count)() == 12
    await xs.close()


def _unassign(job_id: int, staff) -> None:
    from backend.shipments.services import job_unassign

    job_unassign(job_id=job_id, ctx=staff.ctx, reason="rebalancing")


def _types(messages: list[dict]) -> list[str]:
    return [m["type"] for m in messages]
