"""A scan records the station it was made at; a parcel scanned at another station than its own is a
mis-sort: kept as a fact (refused to the scanner), counted by the KPI, listed in its station's queue.

Histories are made through the services at frozen instants of the fixtures' day (tests/clock.py).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.exceptions.items import QueueSettings
from backend.exceptions.kinds import ExceptionKind
from backend.exceptions.selectors import exception_queue
from backend.kpis.models import Metric
from backend.kpis.selectors import kpi_day_figures
from backend.shipments.context import Ctx
from backend.shipments.models import FeedEntry, Shipment, TrackingEvent
from backend.shipments.services import job_assign, scan
from backend.shipments.services.scans_bulk import ScanInput, scans_record_bulk
from tests.clock import FIXTURE_DAY
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person, make_courier

pytestmark = pytest.mark.django_db
D = FIXTURE_DAY
CFG = QueueSettings(
    stale_after=timedelta(hours=24), offline_after=timedelta(minutes=10), lookback=timedelta(hours=48)
)


def local(station: Station, hour: int, minute: int = 0, day: date = D) -> datetime:
    return datetime.combine(day, dtime(hour, minute), tzinfo=ZoneInfo(station.time_zone))


def at(person: Person, when: datetime) -> Ctx:
    return dataclasses.replace(person.ctx, event_at=when)


def test_a_scan_at_the_parcel_s_own_station_records_that_station(
    station: Station, supervisor: Person
) -> None:
    with time_machine.travel(local(station, 7), tick=False):
        job = make_job(station, supervisor.ctx)
        event = scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    assert (event.station_id, event.details) == (station.pk, {})
    assert Shipment.objects.get(pk=job.shipment_id).status == "at_station"


def test_another_station_s_scan_is_kept_as_its_fact_refused_to_it_and_told_only_to_the_parcel_s_station(
    station: Station, other_station: Station, supervisor: Person, other_supervisor: Person
) -> None:
    with time_machine.travel(local(station, 7), tick=False):
        job = make_job(station, supervisor.ctx)
        number = job.shipment.tracking_no
        scan(tracking_no=number, scan_kind="station_in", ctx=supervisor.ctx)
    before = FeedEntry.objects.order_by("-cursor").values_list("cursor", flat=True).first() or 0
    with time_machine.travel(local(station, 7, 40), tick=False), pytest.raises(DomainError) as err:
        scan(tracking_no=number, scan_kind="sorted", ctx=other_supervisor.ctx)

    assert err.value.code == "permission_denied"  # they learn nothing of another station's parcel
    event = TrackingEvent.objects.get(shipment_id=job.shipment_id, kind="sorted")
    assert event.station_id == other_station.pk and event.actor_id == other_supervisor.user.pk
    assert event.details == {
        "status_unchanged": True,
        "status_was": "at_station",
        "wrong_station": True,
        "parcel_station_id": station.pk,
    }
    assert Shipment.objects.get(pk=job.shipment_id).status == "at_station"
    rows = FeedEntry.objects.filter(cursor__gt=before)
    assert [(r.kind, r.station_id) for r in rows] == [("shipment.scanned", station.pk)]


def test_a_belt_of_another_station_keeps_the_fact_and_refuses_the_scan(
    station: Station, other_station: Station, supervisor: Person, other_supervisor: Person
) -> None:
    with time_machine.travel(local(station, 7), tick=False):
        ours = make_job(station, supervisor.ctx).shipment
        theirs = make_job(other_station, other_supervisor.ctx).shipment
        scans = [
            ScanInput(key=f"belt-{i}", tracking_no=n, scan_kind="station_in", event_at=local(station, 7))
            for i, n in enumerate((ours.tracking_no, theirs.tracking_no))
        ]
        out = scans_record_bulk(scans=scans, actor=other_supervisor.principal, device_id="belt-b")

    assert [(o.code, o.status_unchanged) for o in out] == [("permission_denied", True), ("", False)]
    [fact] = TrackingEvent.objects.filter(shipment=ours, kind="station_in")
    assert (fact.station_id, fact.details["wrong_station"]) == (other_station.pk, True)
    assert Shipment.objects.get(pk=ours.pk).status == ours.status  # nothing moved
    feed = FeedEntry.objects.filter(shipment_id=ours.pk, kind="shipment.scanned").values_list(
        "station_id", flat=True
    )
    assert list(feed) == [station.pk]  # to the parcel's station only


def test_the_kpi_counts_a_parcel_scanned_at_the_wrong_station_as_a_mis_sort(
    station: Station,
    other_station: Station,
    supervisor: Person,
    other_supervisor: Person,
    courier: tuple[Courier, Person],
) -> None:
    """Three sorted parcels on D: one also scanned in at the other station by mistake (07:20), before
    it came back; one loaded out by its own courier; one only scanned in. Station mis_sort 1/3; the
    courier's own load-out is right (0/1)."""
    alice, alice_person = courier
    with time_machine.travel(local(station, 7), tick=False):
        astray, loaded, plain = (make_job(station, supervisor.ctx) for _ in range(3))
        for job in (astray, loaded, plain):
            scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
        job_assign(job_id=loaded.pk, courier_id=alice.pk, ctx=supervisor.ctx)
    with time_machine.travel(local(station, 7, 20), tick=False), pytest.raises(DomainError):
        scan(tracking_no=astray.shipment.tracking_no, scan_kind="station_in", ctx=other_supervisor.ctx)
    with time_machine.travel(local(station, 7, 30), tick=False):
        scan(tracking_no=loaded.shipment.tracking_no, scan_kind="loaded_out", ctx=alice_person.ctx)

    figures = kpi_day_figures(station, D)
    assert figures[(Metric.MIS_SORT, None)] == (1, 3)
    assert figures[(Metric.MIS_SORT, alice.pk)] == (0, 1)
    assert kpi_day_figures(other_station, D).get((Metric.MIS_SORT, None)) is None  # not their parcel


def test_another_station_s_courier_scan_is_recorded_at_their_station(
    station: Station, other_station: Station, supervisor: Person
) -> None:
    _, stranger = make_courier(other_station)
    with time_machine.travel(local(station, 8), tick=False):
        job = make_job(station, supervisor.ctx)
        with pytest.raises(DomainError):
            scan(tracking_no=job.shipment.tracking_no, scan_kind="loaded_out", ctx=stranger.ctx)
    assert (
        TrackingEvent.objects.get(shipment_id=job.shipment_id, kind="loaded_out").station_id
        == other_station.pk
    )


def test_the_parcel_s_station_sees_the_mis_sort_in_its_queue_and_the_scanning_station_does_not(
    station: Station, other_station: Station, supervisor: Person, other_supervisor: Person
) -> None:
    with time_machine.travel(local(station, 7), tick=False):
        job = make_job(station, supervisor.ctx)
        scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    with time_machine.travel(local(station, 7, 40), tick=False), pytest.raises(DomainError):
        scan(
            tracking_no=job.shipment.tracking_no,
            scan_kind="sorted",
            ctx=at(other_supervisor, local(station, 7, 40)),
        )

    now = local(station, 9)
    [item] = exception_queue(station=station, now=now, kind=ExceptionKind.MIS_SORT, cfg=CFG)
    event = TrackingEvent.objects.get(shipment_id=job.shipment_id, kind="sorted")
    assert (item.subject, item.tracking_no, item.since) == (
        f"event:{event.pk}",
        job.shipment.tracking_no,
        event.event_at,
    )
    assert other_station.code in item.detail and item.actions == ("open_shipment",)
    assert exception_queue(station=other_station, now=now, kind=ExceptionKind.MIS_SORT, cfg=CFG) == []
    # Past the look-back it is history, not an exception.
    assert (
        exception_queue(station=station, now=now + timedelta(hours=49), kind=ExceptionKind.MIS_SORT, cfg=CFG)
        == []
    )
