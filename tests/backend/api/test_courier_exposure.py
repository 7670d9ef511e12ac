"""A courier sees what their job needs (issue 16): a delivery the recipient, a pickup the sender and
the recipient as the label prints it; no one else's actor, device or position on the timeline.

One view (backend/shipments/courier_view.py) serves REST, the sync pull and the live courier feed;
each way in is checked here, because each had its own copy of the full snapshot before.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from backend.couriers.models import Courier, Station
from backend.realtime.audience import Audience
from backend.realtime.selectors import FeedRow
from backend.shipments.models import FeedEntry, Job
from backend.shipments.services import job_assign, job_start, scan, shipment_transition
from tests.backend.api.conftest import Api
from tests.backend.sync.helpers import pull
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db

SENDER = {"sender_name": "张三", "sender_phone": "+8613812345678"}
WITHHELD = {"sender_name": "", "sender_phone": "", "sender_address": ""}


def assigned(station: Station, supervisor: Person, courier: Courier, kind: str) -> Job:
    job = make_job(station, supervisor.ctx, kind)
    if kind == "delivery":
        scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    return job_assign(job_id=job.pk, courier_id=courier.pk, ctx=supervisor.ctx)


def sides(shipment: dict[str, object]) -> dict[str, object]:
    keys = ("sender_name", "sender_phone", "sender_address", "recipient_name", "recipient_phone")
    return {k: shipment[k] for k in keys}


def test_a_delivery_job_shows_the_courier_the_recipient_and_not_the_sender(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    job = assigned(station, supervisor, c, "delivery")

    day = api.get("/api/v1/me/jobs", person, date="2026-11-24").json()["jobs"][0]["shipment"]
    detail = api.get(f"/api/v1/jobs/{job.pk}", person).json()["shipment"]
    for shipment in (day, detail):
        assert {k: shipment[k] for k in WITHHELD} == WITHHELD
        # Not the phone in full: the courier calls through a virtual number (backend/calls/).
        assert (shipment["recipient_name"], shipment["recipient_phone"]) == ("李四", "139****5678")
    started = api.post(f"/api/v1/jobs/{job.pk}/start", {}, person).json()["shipment"]
    assert started["sender_phone"] == ""

    # The supervisor's view is unchanged: the station needs both sides.
    full = api.get(f"/api/v1/jobs/{job.pk}", supervisor).json()["shipment"]
    assert {k: full[k] for k in SENDER} == SENDER


def test_a_pickup_job_shows_the_sender_and_the_recipient_as_the_label_prints_it(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    job = assigned(station, supervisor, c, "pickup")

    shipment = api.get(f"/api/v1/jobs/{job.pk}", person).json()["shipment"]
    assert sides(shipment) == {
        "sender_name": "张三",
        "sender_phone": "138******78",  # as the waybill prints it; calls go through a virtual number
        "sender_address": job.shipment.sender_address,
        "recipient_name": "李*",
        "recipient_phone": "139******78",
    }
    assert shipment["recipient_address"] == "杭州市西湖区****"


def test_the_shipment_timeline_hides_other_peoples_actor_device_and_position(
    api: Api, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    job = assigned(station, supervisor, c, "delivery")
    job_start(job_id=job.pk, ctx=replace(person.ctx, lat=30.2, lng=120.1), expected_version=None)

    body = api.get(f"/api/v1/shipments/{job.shipment.tracking_no}", person).json()
    assert body["sender_phone"] == ""
    theirs = [e for e in body["events"] if e["actor_id"] != person.user.pk]
    mine = [e for e in body["events"] if e["actor_id"] == person.user.pk]
    assert theirs and mine
    for event in theirs:
        assert (event["actor_id"], event["device_id"], event["lat"], event["lng"]) == (None, "", None, None)
        assert event["details"] == {}
    assert (mine[0]["device_id"], mine[0]["lat"]) == (f"dev-{person.user.pk}", 30.2)

    staff = api.get(f"/api/v1/shipments/{job.shipment.tracking_no}", supervisor).json()
    assert supervisor.user.pk in {e["actor_id"] for e in staff["events"]}
    assert staff["sender_phone"] == "+8613812345678"


def test_the_sync_pull_carries_the_couriers_view(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    delivery = assigned(station, supervisor, c, "delivery")
    first = pull(person)
    [snap] = [ch["job"] for ch in first["changes"] if ch["op"] == "job"]
    assert snap["id"] == delivery.pk
    assert {k: snap["shipment"][k] for k in WITHHELD} == WITHHELD

    shipment_transition(shipment_id=delivery.shipment_id, to="held", ctx=supervisor.ctx, reason="collect")
    later = pull(person, first["cursor"])
    [held] = [ch["shipment"] for ch in later["changes"] if ch["op"] == "shipment"]
    assert (held["status"], held["sender_phone"], held["recipient_phone"]) == ("held", "", "139****5678")


def test_the_live_courier_feed_carries_the_couriers_view(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c, person = courier
    job = assigned(station, supervisor, c, "delivery")
    shipment_transition(shipment_id=job.shipment_id, to="held", ctx=supervisor.ctx, reason="collect")
    rows = [FeedRow.of(e) for e in FeedEntry.objects.filter(courier_id=c.pk).order_by("cursor")]
    mine = Audience(feed="courier", target_id=c.pk, principal=person.principal)
    station_feed = Audience(feed="station", target_id=station.pk, principal=supervisor.principal)

    texts = [mine.render(row) for row in rows]
    messages = [json.loads(t) for t in texts if t]
    assert {m["type"] for m in messages} >= {"job.assigned", "shipment.updated"}
    for m in messages:
        shipment = m["payload"]["job"]["shipment"] if "job" in m["payload"] else m["payload"]["shipment"]
        assert shipment["sender_phone"] == "" and shipment["recipient_phone"] == "139****5678"
        assert "13812345678" not in json.dumps(m) and "13912345678" not in json.dumps(m)
    assert all("13812345678" in (station_feed.render(row) or "") for row in rows)
