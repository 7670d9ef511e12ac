"""Each source of the exceptions queue, from facts made through the services, at frozen instants."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.exceptions.items import ExceptionItem, QueueSettings
from backend.exceptions.kinds import ExceptionKind
from backend.exceptions.selectors import exception_queue
from backend.negotiation.services import negotiation_expire, negotiation_propose
from backend.shipments.services import job_assign, job_cancel, job_fail, job_start, scan, shipment_transition
from backend.shipments.services.planning import job_set_plan
from tests.backend.exceptions.conftest import NOW
from tests.backend.sync.helpers import op, proof, push, ready_job
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db
CFG = QueueSettings(
    stale_after=timedelta(hours=24), offline_after=timedelta(minutes=10), lookback=timedelta(hours=48)
)


def queue(station: Station, kind: str, at: timedelta = timedelta(0)) -> list[ExceptionItem]:
    return exception_queue(station=station, now=NOW + at, kind=kind, cfg=CFG)


def test_a_failed_attempt_is_listed_until_the_job_moves_on(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = ready_job(station, supervisor, courier[0])
    job_start(job_id=job.pk, ctx=courier[1].ctx)
    job_fail(job_id=job.pk, ctx=courier[1].ctx, reason_code="not_home")
    [item] = queue(station, ExceptionKind.FAILED_ATTEMPT)
    assert (item.job_id, item.tracking_no, item.courier_id) == (
        job.pk,
        job.shipment.tracking_no,
        courier[0].pk,
    )
    assert item.since == NOW and "Recipient not at home" in item.detail
    assert item.actions == ("open_shipment", "reassign")


def test_a_damaged_parcel_and_a_shipment_in_exception_are_damaged_or_lost(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = ready_job(station, supervisor, courier[0])
    job_start(job_id=job.pk, ctx=courier[1].ctx)
    job_fail(job_id=job.pk, ctx=courier[1].ctx, reason_code="damaged")
    lost = make_job(station, supervisor.ctx)
    scan(tracking_no=lost.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    shipment_transition(
        shipment_id=lost.shipment_id, to="exception", ctx=supervisor.ctx, reason="lost in sorting"
    )
    items = queue(station, ExceptionKind.DAMAGED_OR_LOST)
    assert sorted(i.tracking_no for i in items) == sorted(
        [job.shipment.tracking_no, lost.shipment.tracking_no]
    )
    assert any("lost in sorting" in i.detail for i in items)
    assert queue(station, ExceptionKind.FAILED_ATTEMPT) == []


def test_open_and_expired_negotiations(station: Station, supervisor: Person) -> None:
    job = make_job(station, supervisor.ctx)
    n = negotiation_propose(
        job_id=job.pk,
        ctx=supervisor.ctx,
        window_start=NOW + timedelta(hours=4),
        window_end=NOW + timedelta(hours=5),
        now=NOW,
    )
    [item] = queue(station, ExceptionKind.NEGOTIATION_OPEN)
    assert (item.subject, item.job_id) == (f"negotiation:{n.pk}", job.pk)
    negotiation_expire(negotiation_id=n.pk, now=n.deadline + timedelta(minutes=1))
    assert queue(station, ExceptionKind.NEGOTIATION_OPEN, timedelta(hours=3)) == []
    [expired] = queue(station, ExceptionKind.NEGOTIATION_EXPIRED, timedelta(hours=3))
    assert expired.subject == f"negotiation:{n.pk}" and "propose" in expired.actions
    # Beyond the look-back an expired negotiation is history, not an exception.
    assert queue(station, ExceptionKind.NEGOTIATION_EXPIRED, timedelta(hours=60)) == []


def test_a_parcel_with_no_scan_for_a_day_is_stale(station: Station, supervisor: Person) -> None:
    job = make_job(station, supervisor.ctx)
    scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    assert queue(station, ExceptionKind.STALE_PARCEL, timedelta(hours=23, minutes=59)) == []
    [item] = queue(station, ExceptionKind.STALE_PARCEL, timedelta(hours=24, minutes=1))
    assert item.tracking_no == job.shipment.tracking_no and item.since == NOW


def test_a_job_whose_eta_is_past_its_window_is_at_risk_until_the_window_ends(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx, window_start=NOW, window_end=NOW + timedelta(hours=2))
    job = job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    job_set_plan(job_id=job.pk, planned_seq=1, eta=NOW + timedelta(hours=1), ctx=supervisor.ctx)
    assert queue(station, ExceptionKind.AT_RISK) == []
    job_set_plan(job_id=job.pk, planned_seq=1, eta=NOW + timedelta(hours=3), ctx=supervisor.ctx)
    [item] = queue(station, ExceptionKind.AT_RISK)
    assert item.job_id == job.pk and item.since == NOW + timedelta(hours=2)
    assert (
        queue(station, ExceptionKind.AT_RISK, timedelta(hours=2, minutes=1)) == []
    )  # missed: KPIs' business


def test_an_on_duty_courier_silent_for_ten_minutes_is_offline(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    mine, me = courier
    push(me, [op(me, "start", {"job_id": ready_job(station, supervisor, mine).pk})])  # heard from at NOW
    assert queue(station, ExceptionKind.COURIER_OFFLINE, timedelta(minutes=10)) == []
    [item] = queue(station, ExceptionKind.COURIER_OFFLINE, timedelta(minutes=11))
    assert item.courier_id == mine.pk and item.since == NOW + timedelta(minutes=10)


def test_a_delivery_recorded_offline_on_a_cancelled_job_needs_a_supervisor(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    mine, me = courier
    job = ready_job(station, supervisor, mine)
    push(me, [op(me, "start", {"job_id": job.pk})])
    job_cancel(job_id=job.pk, ctx=supervisor.ctx, reason="sender cancelled")
    body = push(me, [op(me, "deliver", {"job_id": job.pk, "proof": proof()})])
    # Kept with its proof for a supervisor (docs/sync-protocol.md), not rejected.
    assert body["results"][0]["conflict"] == "held_for_supervisor", body
    assert queue(station, ExceptionKind.SYNC_REJECTED) == []
    [item] = queue(station, ExceptionKind.OFFLINE_CONFLICT)
    assert item.subject == f"offline_conflict:{body['results'][0]['offline_conflict_id']}"
    assert (item.tracking_no, item.job_id, item.courier_id) == (job.shipment.tracking_no, job.pk, mine.pk)
    assert item.detail.startswith("deliver recorded") and "cancelled" in item.detail
    assert item.actions == ("open_shipment",)


def test_an_offline_delivery_that_lost_to_another_names_its_shipment(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    (mine, me), (theirs, them) = courier, other_courier
    with time_machine.travel(NOW - timedelta(minutes=30), tick=False):  # mine half an hour ago
        job = ready_job(station, supervisor, mine)
        push(me, [op(me, "start", {"job_id": job.pk})])
    job_assign(job_id=job.pk, courier_id=theirs.pk, ctx=supervisor.ctx)
    push(
        them,
        [op(them, "start", {"job_id": job.pk}), op(them, "deliver", {"job_id": job.pk, "proof": proof()})],
    )
    recorded_before = NOW - timedelta(minutes=5)
    body = push(me, [op(me, "deliver", {"job_id": job.pk, "proof": proof()}, event_at=recorded_before)])
    assert body["results"][0]["code"] == "job_closed"
    [item] = queue(station, ExceptionKind.SYNC_REJECTED)
    assert (item.tracking_no, item.job_id, item.courier_id) == (job.shipment.tracking_no, job.pk, mine.pk)
    assert item.since == recorded_before and item.actions == ("open_shipment",)


def test_another_stations_facts_never_reach_the_queue(
    station: Station, other_station: Station, other_supervisor: Person
) -> None:
    job = make_job(other_station, other_supervisor.ctx)
    scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=other_supervisor.ctx)
    assert exception_queue(station=station, now=NOW + timedelta(days=2), cfg=CFG) == []
    assert len(exception_queue(station=other_station, now=NOW + timedelta(days=2), cfg=CFG)) == 1


def test_the_queue_takes_the_same_number_of_queries_whatever_its_size(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_supervisor: Person,
    django_assert_num_queries: Any,
) -> None:
    def fail_one() -> None:
        job = ready_job(station, supervisor, courier[0])
        job_start(job_id=job.pk, ctx=courier[1].ctx)
        job_fail(job_id=job.pk, ctx=courier[1].ctx, reason_code="not_home")
        number = make_job(station, supervisor.ctx).shipment.tracking_no
        scan(tracking_no=number, scan_kind="station_in", ctx=supervisor.ctx)
        with pytest.raises(DomainError):  # sorted to the other station by mistake: a mis-sort item
            scan(tracking_no=number, scan_kind="sorted", ctx=other_supervisor.ctx)

    fail_one()
    later = timedelta(days=1, hours=1)  # stale parcels and an offline courier too
    # One query per source: the incidents and the proofs without their images are one each.
    with django_assert_num_queries(12) as small:
        assert len(queue(station, "", later)) == 5
    for _ in range(4):
        fail_one()
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(queue(station, "", later)) == 21
