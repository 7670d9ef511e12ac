"""The events-system contract: replaying what a client received onto its stale snapshot gives
exactly what a fresh fetch returns (zulip's ``verify_action`` idea, for each feed).

A client keeps ``{job_id: job}`` (courier, station) or the public view (customer), fetched by REST;
``apply`` below is the whole client-side logic a message needs (docs/realtime.md, "Applying").
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from backend.realtime.audience import customer_shipment, customer_visit
from backend.realtime.links import link_issue
from backend.shipments import selectors
from backend.shipments.courier_view import courier_job
from backend.shipments.models import Job, Shipment
from backend.shipments.services import (
    job_deliver,
    job_fail,
    job_start,
    scan,
    shipment_transition,
)
from backend.shipments.services.door_inputs import ProofInput
from backend.shipments.snapshots import job_snapshot, shipment_snapshot
from tests.backend.realtime.conftest import Socket, feed_path, run
from tests.backend.realtime.helpers import assign
from tests.fixtures.jobs import make_job

pytestmark = pytest.mark.django_db(transaction=True)
DAY = date(2026, 11, 24)  # the fixtures' service date


def apply(state: dict[int, dict[str, Any]], message: dict[str, Any]) -> None:
    """The reference client: every feed message replaces whole snapshots, so replays are harmless."""
    kind, payload = message["type"], message["payload"]
    if kind == "job.revoked":
        state.pop(payload["job_id"], None)
    elif kind.startswith("job."):
        state[payload["job"]["id"]] = payload["job"]
    elif kind == "shipment.scanned":  # a scan carries only the status it left
        for job in state.values():
            if job["shipment"]["id"] == payload["shipment_id"]:
                job["shipment"]["status"] = payload["status"]
    elif kind.startswith("shipment."):
        for job in state.values():
            if job["shipment"]["id"] == payload["shipment"]["id"]:
                job["shipment"] = payload["shipment"]


def courier_day(courier_id: int) -> dict[int, dict[str, Any]]:
    """What the courier's REST fetch returns: the side of each shipment the job needs."""
    return {
        j.pk: courier_job(job_snapshot(j))
        for j in selectors.jobs_for_courier_day(courier_id=courier_id, day=DAY)
    }


def station_jobs(station_id: int) -> dict[int, dict[str, Any]]:
    return {j.pk: job_snapshot(j) for j in selectors.jobs_for_station(station_id=station_id)}


def customer_view(shipment_id: int) -> dict[str, Any]:
    """What the customer's page shows, fetched fresh: the shipment and its delivery visit."""
    job = Job.objects.select_related("shipment").get(shipment_id=shipment_id, kind="delivery")
    return {
        "shipment": customer_shipment(shipment_snapshot(Shipment.objects.get(pk=shipment_id))),
        "visit": customer_visit(job_snapshot(job)),
    }


def apply_customer(view: dict[str, Any], message: dict[str, Any]) -> None:
    """The customer page's reducer (backend/negotiation/static/negotiation/live.js does the same)."""
    payload = message["payload"]
    if message["type"] == "tracking.scanned":
        view["shipment"]["status"] = payload["status"]
    elif message["type"] == "tracking.updated":
        view["shipment"] = payload["shipment"]
        if payload["visit"] is not None:  # None: the change says nothing about the visit
            view["visit"] = payload["visit"]


def _at_station_and_assigned(station, staff, courier_id: int, n: int):
    from backend.shipments.services import job_assign

    jobs = []
    for _ in range(n):
        job = make_job(station, staff.ctx)
        scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=staff.ctx)
        jobs.append(job_assign(job_id=job.pk, courier_id=courier_id, ctx=staff.ctx))
    return jobs


async def test_replaying_messages_onto_stale_snapshots_equals_a_fresh_fetch(
    station, courier, other_courier, supervisor
):
    (x, xp), (y, _) = courier, other_courier
    delivered, failed, moved = await run(_at_station_and_assigned)(station, supervisor, x.pk, 3)
    stale = {
        "courier": await run(courier_day)(x.pk),
        "station": await run(station_jobs)(station.pk),
        "customer": await run(customer_view)(delivered.shipment_id),
    }
    sockets = {
        "courier": Socket(feed_path("/ws/courier/", token=xp.token)),
        "station": Socket(feed_path(f"/ws/station/{station.code}/", token=supervisor.token)),
        "customer": Socket(
            feed_path(
                f"/ws/shipment/{delivered.shipment.tracking_no}/",
                token=link_issue(shipment_id=delivered.shipment_id),
            )
        ),
    }
    for sock in sockets.values():
        assert (await sock.open())["type"] == "session.ready"

    # A courier's afternoon: load one out, deliver it, fail one, lose one to a colleague, get a new one.
    await run(scan)(tracking_no=delivered.shipment.tracking_no, scan_kind="loaded_out", ctx=supervisor.ctx)
    await run(job_start)(job_id=delivered.pk, ctx=xp.ctx)
    proof = ProofInput(method="photo", recipient_relation="self", media_sha256=["ab" * 32])
    await run(job_deliver)(job_id=delivered.pk, ctx=xp.ctx, proof=proof)
    await run(job_start)(job_id=failed.pk, ctx=xp.ctx)
    await run(job_fail)(job_id=failed.pk, ctx=xp.ctx, reason_code="not_home", next_step={"kind": "retry"})
    await assign(moved.pk, y.pk, supervisor)
    [fresh_job] = await run(_at_station_and_assigned)(station, supervisor, x.pk, 1)
    unassigned = await run(make_job)(station, supervisor.ctx)
    await run(scan)(tracking_no=unassigned.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    await run(shipment_transition)(
        shipment_id=unassigned.shipment_id,
        to="held",
        ctx=supervisor.ctx,
        reason="recipient asked to collect it",
    )

    received = {name: await sock.drain() for name, sock in sockets.items()}
    for sock in sockets.values():
        await sock.close()
    for name in ("courier", "station"):
        state = stale[name]
        for message in received[name]:
            apply(state, message)
    for message in received["customer"]:
        apply_customer(stale["customer"], message)

    assert stale["courier"] == await run(courier_day)(x.pk)
    assert stale["station"] == await run(station_jobs)(station.pk)
    assert stale["customer"] == await run(customer_view)(delivered.shipment_id)
    # The scenario exercised what it claims to (a contract test that applied nothing proves nothing).
    assert [m["type"] for m in received["courier"]] == [
        "shipment.scanned",
        "job.updated",
        "job.updated",
        "job.updated",
        "job.updated",
        "job.revoked",
        "job.assigned",
    ]
    assert received["courier"][0]["payload"]["status"] == "out_for_delivery"
    assert [m["type"] for m in received["customer"]] == [
        "tracking.scanned",
        "tracking.updated",
        "tracking.updated",
    ]
    assert {m["type"] for m in received["station"]} >= {
        "job.updated",
        "job.assigned",
        "job.created",
        "shipment.scanned",
        "shipment.updated",
    }
    assert fresh_job.pk in stale["courier"] and moved.pk not in stale["courier"]
    assert stale["customer"]["shipment"]["status"] == "delivered"
    cursors = [m["cursor"] for m in received["station"]]
    assert cursors == sorted(set(cursors))  # in order, no duplicates


async def test_a_supervisors_decision_on_a_shipment_reaches_the_courier_holding_its_job(
    station, courier, supervisor
):
    x, xp = courier
    [job] = await run(_at_station_and_assigned)(station, supervisor, x.pk, 1)
    stale = await run(courier_day)(x.pk)
    sock = Socket(feed_path("/ws/courier/", token=xp.token))
    assert (await sock.open())["type"] == "session.ready"
    await run(shipment_transition)(
        shipment_id=job.shipment_id, to="held", ctx=supervisor.ctx, reason="recipient asked to collect it"
    )
    for message in await sock.drain():
        apply(stale, message)
    await sock.close()
    assert stale == await run(courier_day)(x.pk)
