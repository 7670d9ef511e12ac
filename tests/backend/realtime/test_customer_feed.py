"""The customer's feed sends exactly what the customer's page shows, and the page's negotiation
link opens the feed of its own shipment and of no other."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from backend.negotiation.links import link_issue as negotiation_link
from backend.negotiation.services import negotiation_cancel
from backend.realtime.codes import Close
from backend.realtime.links import link_issue
from backend.shipments import services as svc
from backend.shipments.services.planning import job_set_plan
from tests.backend.negotiation.conftest import offer
from tests.backend.realtime.conftest import feed_path, refused_with, run
from tests.backend.realtime.helpers import open_ready
from tests.fixtures.jobs import make_job

pytestmark = pytest.mark.django_db(transaction=True)

SHIPMENT_KEYS = {"tracking_no", "status", "recipient_name", "recipient_phone"}
VISIT_KEYS = {"eta", "window_start", "window_end"}


@pytest.fixture(autouse=True)
def no_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    # The services' follow-ups (re-plans) would go to the test's Redis broker with no worker.
    monkeypatch.setattr("backend.shipments.services.followups._enabled", lambda: False)


def _planned_job(station, supervisor, courier_id: int):  # type: ignore[no-untyped-def]
    job = make_job(station, supervisor.ctx)
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    svc.job_assign(job_id=job.pk, courier_id=courier_id, ctx=supervisor.ctx)
    return job


async def test_a_customer_gets_status_eta_window_and_masked_names_and_nothing_else(
    station, courier, supervisor
):  # type: ignore[no-untyped-def]
    x, xp = courier
    job = await run(_planned_job)(station, supervisor, x.pk)
    customer = await open_ready(
        feed_path(f"/ws/shipment/{job.shipment.tracking_no}/", token=link_issue(shipment_id=job.shipment_id))
    )
    eta = datetime.fromisoformat("2026-11-24T11:20:00+08:00")
    await run(job_set_plan)(job_id=job.pk, planned_seq=4, eta=eta, ctx=supervisor.ctx)
    await run(svc.scan)(tracking_no=job.shipment.tracking_no, scan_kind="loaded_out", ctx=supervisor.ctx)
    await run(svc.job_start)(job_id=job.pk, ctx=xp.ctx)
    await run(svc.shipment_transition)(
        shipment_id=job.shipment_id, to="exception", ctx=supervisor.ctx, reason="parcel damaged"
    )
    got = await customer.drain()
    await customer.close()

    assert [m["type"] for m in got] == [
        "tracking.updated",  # the plan: the ETA
        "tracking.scanned",  # loaded out: the status it left, not the scan's kind
        "tracking.updated",  # the courier set out: only the public status shows it
        "tracking.updated",  # a supervisor's decision on the shipment: no visit in it
    ]
    for m in got:
        assert set(m) == {"type", "v", "cursor", "at", "payload"}
    planned, scanned, started, decided = (m["payload"] for m in got)
    shipment = {
        "tracking_no": job.shipment.tracking_no,
        "status": "at_station",
        "recipient_name": "李*",
        "recipient_phone": "139******78",
    }
    visit = {"eta": eta, "window_start": None, "window_end": None}
    assert planned["shipment"] == shipment and _times(planned["visit"]) == visit
    assert scanned == {"tracking_no": job.shipment.tracking_no, "status": "out_for_delivery"}
    assert started["shipment"] == {**shipment, "status": "out_for_delivery"}
    assert _times(started["visit"]) == visit
    assert decided == {"shipment": {**shipment, "status": "exception"}, "visit": None}
    assert all(set(p["shipment"]) == SHIPMENT_KEYS for p in (planned, started, decided))
    assert set(planned) == set(started) == {"shipment", "visit"} and set(planned["visit"]) == VISIT_KEYS


def _times(visit: dict[str, str | None]) -> dict[str, datetime | None]:
    return {k: None if v is None else datetime.fromisoformat(v) for k, v in visit.items()}


async def test_a_pickup_and_a_negotiation_say_nothing_about_the_recipients_visit(
    station, courier, supervisor
):  # type: ignore[no-untyped-def]
    x, _ = courier
    pickup = await run(make_job)(station, supervisor.ctx, "pickup", destination_region="GD")
    job = await run(_planned_job)(station, supervisor, x.pk)
    pickup_customer = await open_ready(
        feed_path(
            f"/ws/shipment/{pickup.shipment.tracking_no}/", token=link_issue(shipment_id=pickup.shipment_id)
        )
    )
    customer = await open_ready(
        feed_path(f"/ws/shipment/{job.shipment.tracking_no}/", token=link_issue(shipment_id=job.shipment_id))
    )
    await run(svc.job_assign)(job_id=pickup.pk, courier_id=x.pk, ctx=supervisor.ctx)
    await run(offer)(job, supervisor.ctx, trigger="courier", reason_code="", now=None, deadline=_later())
    [assigned] = await pickup_customer.drain()
    assert assigned["type"] == "tracking.updated" and assigned["payload"]["visit"] is None
    assert await customer.drain() == []  # negotiation.updated is for the courier and the station
    for sock in (pickup_customer, customer):
        await sock.close()


def _later() -> datetime:
    return timezone.now() + timedelta(hours=2)


async def test_the_negotiation_link_opens_its_own_shipments_feed_only(station, courier, supervisor):  # type: ignore[no-untyped-def]
    x, _ = courier
    job = await run(_planned_job)(station, supervisor, x.pk)
    other = await run(make_job)(station, supervisor.ctx)
    n = await run(offer)(job, supervisor.ctx, trigger="courier", reason_code="", now=None, deadline=_later())
    token, _, _ = negotiation_link(negotiation_id=n.pk, shipment_id=n.shipment_id, now=timezone.now())
    own = await open_ready(feed_path(f"/ws/shipment/{job.shipment.tracking_no}/", token=token))
    eta = timezone.now() + timedelta(minutes=40)
    await run(job_set_plan)(job_id=job.pk, planned_seq=1, eta=eta, ctx=supervisor.ctx)
    [planned] = await own.drain()
    assert datetime.fromisoformat(planned["payload"]["visit"]["eta"]) == eta
    await own.close()

    assert await refused_with(feed_path(f"/ws/shipment/{other.shipment.tracking_no}/", token=token)) == (
        Close.FORBIDDEN
    )
    tampered = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    path = f"/ws/shipment/{job.shipment.tracking_no}/"
    assert await refused_with(feed_path(path, token=tampered)) == Close.UNAUTHENTICATED
    await run(negotiation_cancel)(negotiation_id=n.pk, ctx=supervisor.ctx, reason="delivered another way")
    assert await refused_with(feed_path(path, token=token)) == Close.UNAUTHENTICATED
