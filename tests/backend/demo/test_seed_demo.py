"""``manage.py seed_demo``: a realistic, consistent, idempotent demo station built through the services."""

from __future__ import annotations

from collections import Counter
from datetime import date
from io import StringIO
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q
from django.utils import timezone

from backend.accounts.roles import Role
from backend.accounts.services import login
from backend.couriers.models import Courier, DutyStatus, Station, Zone
from backend.shipments.models import DeliveryAttempt, FeedEntry, Job, ProofOfDelivery, Shipment, TrackingEvent
from backend.shipments.states import JobStatus, ReasonCode, ShipmentStatus
from parcelkit.rules.tracking import is_valid_tracking_no

DAY = date(2026, 11, 24)
SHANGHAI = ZoneInfo("Asia/Shanghai")
SOUTH, NORTH, WEST, EAST = 30.26, 30.30, 120.10, 120.16


def seed(**options: object) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (
        Station,
        Courier,
        Zone,
        User,
        Shipment,
        Job,
        TrackingEvent,
        FeedEntry,
        DeliveryAttempt,
        ProofOfDelivery,
    )
    return {m.__name__: m.objects.count() for m in models}


def is_valid_cn(number: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(number, "CN"))


def zone_owner(address: str) -> int | None:
    local = address.removeprefix("杭州市")
    owners = {z.courier_id for z in Zone.objects.all() for p in z.address_prefixes if local.startswith(p)}
    assert len(owners) <= 1, f"{address} lies in several territories"
    return owners.pop() if owners else None


@pytest.mark.django_db
def test_defaults_build_a_full_consistent_station() -> None:
    output = seed(date=DAY.isoformat())

    station = Station.objects.get(code="HZXH01")
    assert (station.name, station.time_zone) == ("杭州西湖站", "Asia/Shanghai")
    couriers = list(Courier.objects.filter(station=station))
    assert len(couriers) == 8
    assert {c.employee_no for c in couriers} == {f"E{1001 + k}" for k in range(8)}
    assert {c.vehicle_type for c in couriers} == {"e_tricycle", "van"}
    assert all(c.duty_status == DutyStatus.ON_DUTY and c.capacity_g > 0 for c in couriers)
    assert all(is_valid_cn(c.phone) for c in couriers)
    assert Zone.objects.filter(station=station, courier__isnull=False).count() == 8
    assert all(z.address_prefixes and z.postcodes for z in Zone.objects.all())

    jobs = list(Job.objects.filter(station=station).select_related("shipment"))
    assert len(jobs) >= 300
    assert Counter(j.kind for j in jobs).keys() == {"pickup", "delivery"}
    assert {j.service_date for j in jobs} == {DAY}
    for job in jobs:
        assert SOUTH <= job.lat <= NORTH and WEST <= job.lng <= EAST, job.address
        assert job.window_start.astimezone(SHANGHAI).date() == DAY
        hours = (job.window_end - job.window_start).total_seconds() / 3600
        assert hours in (1, 3, 5)
        s = job.shipment
        assert is_valid_cn(s.sender_phone) and is_valid_cn(s.recipient_phone)
        if job.courier_id is not None:
            assert job.courier_id == zone_owner(job.address)
    ships = [j.shipment for j in jobs]
    assert any(s.cod_amount_fen for s in ships)
    assert any("fragile" in s.handling for s in ships)
    assert {s.service_level for s in ships} == {"standard", "express", "same_day"}

    mix = Counter(j.status for j in jobs)
    assert set(mix) == {"pending", "assigned", "accepted", "started", "completed", "failed"}
    assert mix["assigned"] + mix["accepted"] > len(jobs) / 2
    assert 0 < mix["pending"] < len(jobs) / 10
    assert f"{len(jobs)} jobs" in output
    assert (
        "E1001" in output and "supervisor / parcelrun-demo" in output and "admin / parcelrun-demo" in output
    )


@pytest.mark.django_db
def test_history_is_what_the_services_write() -> None:
    seed(date=DAY.isoformat(), shipments=60)
    shipments = Shipment.objects.annotate(created=Count("events", filter=Q(events__kind="created")))
    assert shipments.count() == 60
    assert set(shipments.values_list("created", flat=True)) == {1}
    planned = FeedEntry.objects.filter(kind="job.planned").count()
    # One feed row per service call: every event has its row, and plans add a row without an event.
    # (Rows without a shipment, such as the demo tariff book's, are not about shipments.)
    assert FeedEntry.objects.exclude(shipment=None).count() == TrackingEvent.objects.count() + planned
    for job in Job.objects.all():
        steps = TrackingEvent.objects.filter(job=job).exclude(kind="created").count()
        plans = FeedEntry.objects.filter(job=job, kind="job.planned").count()
        # A plan bumps the job's plan revision, not its version (a person's token: docs/api.md).
        assert (job.version, job.plan_revision) == (1 + steps, plans), job.pk
        assert plans == (1 if job.planned_seq is not None else 0)
    delivered = Job.objects.filter(kind="delivery", status=JobStatus.COMPLETED)
    assert delivered.exists()
    assert ProofOfDelivery.objects.filter(job__in=delivered).count() == delivered.count()
    assert set(Shipment.objects.filter(jobs__in=delivered).values_list("status", flat=True)) == {"delivered"}
    failed = Job.objects.filter(status=JobStatus.FAILED)
    reasons = DeliveryAttempt.objects.filter(job__in=failed, succeeded=False).values_list(
        "reason_code", flat=True
    )
    assert failed.count() == len(reasons) and set(reasons) <= set(ReasonCode.values)
    started = Job.objects.filter(kind="delivery", status=JobStatus.STARTED).values_list(
        "shipment__status", flat=True
    )
    assert set(started) <= {ShipmentStatus.OUT_FOR_DELIVERY}


@pytest.mark.django_db
def test_each_route_is_numbered_in_order_with_growing_etas() -> None:
    seed(date=DAY.isoformat(), shipments=80)
    for courier in Courier.objects.all():
        route = list(Job.objects.filter(courier=courier).order_by("planned_seq"))
        assert [j.planned_seq for j in route] == list(range(1, len(route) + 1))
        etas = [j.eta for j in route]
        assert etas == sorted(etas)
        assert all(j.eta >= j.window_start for j in route)
        # The day is under way along the route: done stops come before the one in progress.
        done = [j.planned_seq for j in route if j.status in (JobStatus.COMPLETED, JobStatus.FAILED)]
        assert done == list(range(1, len(done) + 1))


@pytest.mark.django_db
def test_running_twice_changes_nothing_and_still_prints_the_logins() -> None:
    seed(date=DAY.isoformat(), shipments=40)
    before = counts()
    output = seed(date=DAY.isoformat(), shipments=40)
    assert counts() == before
    assert "already there" in output
    assert (
        "E1001" in output and "supervisor / parcelrun-demo" in output and "admin / parcelrun-demo" in output
    )
    number = output.split("Public tracking number: ")[1].split()[0]
    assert is_valid_tracking_no(number) and Shipment.objects.filter(tracking_no=number).exists()


@pytest.mark.django_db
def test_a_bigger_second_run_adds_only_the_missing_shipments() -> None:
    seed(date=DAY.isoformat(), shipments=20)
    first = set(Shipment.objects.values_list("tracking_no", flat=True))
    seed(date=DAY.isoformat(), shipments=30)
    assert Shipment.objects.count() == 30
    assert first < set(Shipment.objects.values_list("tracking_no", flat=True))
    assert Courier.objects.count() == 8


@pytest.mark.django_db
def test_another_day_adds_that_days_shipments_to_the_same_station() -> None:
    seed(date=DAY.isoformat(), shipments=10)
    seed(date="2026-11-25", shipments=10)
    assert Station.objects.count() == 1 and Courier.objects.count() == 8
    assert dict(Job.objects.values_list("service_date").annotate(n=Count("pk"))) == {
        DAY: 10,
        date(2026, 11, 25): 10,
    }


@pytest.mark.django_db
def test_without_a_date_the_work_is_for_today_in_the_station_zone() -> None:
    seed(shipments=5)
    today = timezone.now().astimezone(SHANGHAI).date()
    assert set(Job.objects.values_list("service_date", flat=True)) == {today}


@pytest.mark.django_db
def test_the_printed_logins_work() -> None:
    seed(date=DAY.isoformat(), shipments=0)
    roles = {
        name: login(login=name, password="parcelrun-demo", device_id="t")[2].role
        for name in ("E1001", "supervisor", "admin")
    }
    assert roles == {"E1001": Role.COURIER, "supervisor": Role.SUPERVISOR, "admin": Role.ADMIN}


@pytest.mark.django_db
def test_couriers_option_sets_the_crew_and_territories() -> None:
    seed(date=DAY.isoformat(), shipments=30, couriers=10)
    assert Courier.objects.count() == 10 and Zone.objects.filter(courier__isnull=False).count() == 10
    assert Zone.objects.get(code="Z10").courier.employee_no == "E1010"
    assert set(Job.objects.exclude(courier=None).values_list("courier", flat=True)) <= set(
        Courier.objects.values_list("pk", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"couriers": 0}, "--couriers"),
        ({"couriers": 17}, "--couriers"),
        ({"shipments": -1}, "--shipments"),
        ({"date": "24/11/2026"}, "--date"),
    ],
)
def test_bad_options_are_refused_before_writing(options: dict[str, object], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        seed(**options)
    assert Station.objects.count() == 0
