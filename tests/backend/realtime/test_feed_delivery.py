"""What each feed receives live, on reconnect, and across the replay/live boundary."""

from __future__ import annotations

import pytest

from backend.broadcast.envelope import courier_group
from backend.realtime.links import link_issue
from backend.shipments.models import FeedEntry
from tests.backend.realtime.conftest import Socket, feed_path, run
from tests.backend.realtime.helpers import assign, head, open_ready, ring, silent_row
from tests.fixtures.jobs import make_job

pytestmark = pytest.mark.django_db(transaction=True)


def _types(messages: list[dict]) -> list[str]:
    return [m["type"] for m in messages]


async def test_each_audience_sees_its_own_view_of_an_assignment_and_a_reassignment(
    station, courier, other_courier, supervisor
):
    job = await run(make_job)(station, supervisor.ctx)
    bystander_job = await run(make_job)(station, supervisor.ctx)
    (x, x_person), (y, y_person) = courier, other_courier
    xs = await open_ready(feed_path("/ws/courier/", token=x_person.token))
    ys = await open_ready(feed_path("/ws/courier/", token=y_person.token))
    sup = await open_ready(feed_path(f"/ws/station/{station.code}/", token=supervisor.token))
    customer = await open_ready(
        feed_path(f"/ws/shipment/{job.shipment.tracking_no}/", token=link_issue(shipment_id=job.shipment_id))
    )
    bystander = await open_ready(
        feed_path(
            f"/ws/shipment/{bystander_job.shipment.tracking_no}/",
            token=link_issue(shipment_id=bystander_job.shipment_id),
        )
    )

    await assign(job.pk, x.pk, supervisor)
    [got_x] = await xs.drain()
    assert got_x["type"] == "job.assigned" and got_x["payload"]["job"]["courier_id"] == x.pk
    assert await ys.drain() == []
    [got_sup] = await sup.drain()
    assert got_sup["payload"]["job"]["shipment"]["recipient_phone"] == "+8613912345678"  # staff see it all
    [got_customer] = await customer.drain()
    assert got_customer["type"] == "tracking.updated"
    # Exactly what the customer's page shows: no job status, courier, address or coordinates.
    assert got_customer["payload"] == {
        "shipment": {
            "tracking_no": job.shipment.tracking_no,
            "status": "created",
            "recipient_name": "李*",
            "recipient_phone": "139******78",
        },
        "visit": {"eta": None, "window_start": None, "window_end": None},
    }
    assert got_customer["cursor"] == got_x["cursor"] == got_sup["cursor"]
    assert await bystander.drain() == []

    moved = await assign(job.pk, y.pk, supervisor)
    [revoked] = await xs.drain()
    assert revoked["type"] == "job.revoked"
    assert revoked["payload"] == {"job_id": job.pk, "version": moved.version, "reason": "reassigned"}
    assert _types(await ys.drain()) == ["job.assigned"]
    for sock in (xs, ys, sup, customer, bystander):
        await sock.close()


async def test_reconnecting_with_the_last_cursor_replays_exactly_what_was_missed(
    station, courier, other_courier, supervisor
):
    (x, x_person), (y, _) = courier, other_courier
    first, second, elsewhere = [await run(make_job)(station, supervisor.ctx) for _ in range(3)]
    path = "/ws/courier/"
    xs = await open_ready(feed_path(path, token=x_person.token))
    await assign(first.pk, x.pk, supervisor)
    [seen] = await xs.drain()
    await xs.close()

    await assign(second.pk, x.pk, supervisor)  # missed while away
    await assign(elsewhere.pk, y.pk, supervisor)  # not x's business
    await assign(first.pk, y.pk, supervisor)  # taken away: a revocation for x

    back = Socket(feed_path(path, token=x_person.token, cursor=seen["cursor"]))
    replay = [await back.open(), await back.receive(), await back.receive()]
    assert _types(replay) == ["job.assigned", "job.revoked", "session.ready"]
    assert replay[0]["payload"]["job"]["id"] == second.pk and replay[1]["payload"]["job_id"] == first.pk
    assert replay[2]["payload"]["replayed"] == 2
    expected = await run(
        lambda: list(
            FeedEntry.objects.filter(cursor__gt=seen["cursor"])
            .exclude(job_id=elsewhere.pk)
            .order_by("cursor")
            .values_list("cursor", flat=True)
        )
    )()
    assert [m["cursor"] for m in replay[:2]] == expected
    assert replay[2]["cursor"] == await head()
    assert await back.drain() == []  # the doorbells of the missed changes rang before we joined
    await back.close()


async def test_duplicate_lost_and_out_of_order_doorbells_give_no_gap_and_no_duplicate(
    station, courier, supervisor
):
    x, x_person = courier
    job = await run(make_job)(station, supervisor.ctx)
    await assign(job.pk, x.pk, supervisor)
    xs = Socket(feed_path("/ws/courier/", token=x_person.token, cursor=0))
    replayed = await xs.open()
    assert replayed["type"] == "job.assigned"
    assert (await xs.receive())["type"] == "session.ready"
    group = courier_group(x.pk)

    await ring(group, replayed["cursor"])  # the live push of a row the replay already sent
    assert await xs.drain() == []

    lost = await silent_row(job.pk)  # committed, but its push never arrives
    late = await silent_row(job.pk)
    await ring(group, late)  # a later push arrives first
    got = await xs.drain()
    assert [m["cursor"] for m in got] == [lost, late]
    await ring(group, lost)  # the earlier push, late
    await ring(group, late)
    assert await xs.drain() == []
    await xs.close()


async def test_a_lost_doorbell_is_made_good_by_the_heartbeat(station, courier, supervisor, settings):
    settings.PARCELRUN_WS_PING_INTERVAL_S = 0.3
    settings.PARCELRUN_WS_PING_TIMEOUT_S = 0.5
    x, x_person = courier
    job = await run(make_job)(station, supervisor.ctx)
    await assign(job.pk, x.pk, supervisor)
    xs = await open_ready(feed_path("/ws/courier/", token=x_person.token))
    lost = await silent_row(job.pk)
    got = await xs.receive(timeout=2)
    assert (got["type"], got["cursor"]) == ("job.updated", lost)
    ping = await xs.receive(timeout=2)
    assert (ping["type"], ping["cursor"]) == ("ping", lost)
    await xs.close()
