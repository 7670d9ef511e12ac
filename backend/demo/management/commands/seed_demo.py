"""``manage.py seed_demo``: one realistic station in Hangzhou 西湖区 with today's work on it.

Every write goes through the services (couriers.services for people and territories,
shipments.services for shipments and jobs), so the demo carries the same tracking events and
change-feed rows as real traffic. The whole seed is one transaction: it is there entirely or not
at all, and a second run finds it by its stable keys (station code, employee numbers, the day's
fixed tracking numbers) and only prints the logins.
"""

from __future__ import annotations

import random
import time
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from backend.accounts.roles import principal_of
from backend.common.errors import DomainError
from backend.couriers import services as couriers
from backend.couriers.models import Courier, DutyStatus, Station, Supervisor, Zone
from backend.demo import data as demo
from backend.demo.day import DayPlan, plan_day, play_shipment
from backend.demo.tariffs import ensure_demo_tariff_book
from backend.shipments.context import Ctx
from backend.shipments.models import Job, Shipment

DEFAULT_COURIERS = 8
DEFAULT_SHIPMENTS = 320
PROGRESS_EVERY = 50


class Command(BaseCommand):
    help = "Create a demo station (杭州西湖站) with couriers, territories and a day of shipments. Safe to re-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--couriers",
            type=int,
            default=DEFAULT_COURIERS,
            help=f"couriers (and territories), 1–{demo.MAX_COURIERS}; default {DEFAULT_COURIERS}",
        )
        parser.add_argument(
            "--shipments",
            type=int,
            default=DEFAULT_SHIPMENTS,
            help=f"shipments for the day, 0–{demo.MAX_SHIPMENTS}; default {DEFAULT_SHIPMENTS}",
        )
        parser.add_argument(
            "--date", default="", help="service date YYYY-MM-DD; default today in the station's zone"
        )

    def handle(self, *args: Any, couriers: int, shipments: int, date: str, **options: Any) -> None:
        if not 1 <= couriers <= demo.MAX_COURIERS:
            raise CommandError(f"--couriers must be 1–{demo.MAX_COURIERS} (one territory per courier)")
        if not 0 <= shipments <= demo.MAX_SHIPMENTS:
            raise CommandError(f"--shipments must be 0–{demo.MAX_SHIPMENTS}")
        day = self._day(date)
        began = time.monotonic()
        try:
            station, numbers = self._seed(day, couriers, shipments)
        except DomainError as exc:  # e.g. a username the demo wants is taken by someone else
            raise CommandError(f"{exc.code}: {exc.message} {exc.details or ''}") from exc
        self.stdout.write(f"Done in {time.monotonic() - began:.1f} s.")
        self._summary(station, day, couriers, numbers)

    def _seed(self, day: date, couriers: int, shipments: int) -> tuple[Station, list[str]]:
        with transaction.atomic():
            station = _ensure_station()
            staff = _ensure_people(station, couriers)
            ensure_demo_tariff_book(station)  # so quotes and the handheld price pickups out of the box
            crew = list(
                Courier.objects.filter(station=station, employee_no__in=_employee_nos(couriers)).order_by(
                    "employee_no"
                )
            )
            numbers = [demo.demo_tracking_no(day, i) for i in range(shipments)]
            existing = set(
                Shipment.objects.filter(tracking_no__in=numbers).values_list("tracking_no", flat=True)
            )
            if numbers and len(existing) == len(numbers):
                self.stdout.write(
                    f"The demo is already there: {len(numbers)} shipments for {day} at {station.code}."
                )
            else:
                if existing:
                    self.stdout.write(
                        f"{len(existing)} of {len(numbers)} demo shipments for {day} exist; adding the rest."
                    )
                self._seed_day(station, crew, staff, day, shipments, existing)
        return station, numbers

    def _day(self, raw: str) -> date:
        if not raw:
            return timezone.now().astimezone(ZoneInfo(demo.STATION.time_zone)).date()
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, got {raw!r}") from None

    def _seed_day(
        self, station: Station, crew: list[Courier], staff: Ctx, day: date, count: int, existing: set[str]
    ) -> None:
        tz = ZoneInfo(station.time_zone)
        rng = random.Random(f"parcelrun-demo-{day.isoformat()}")
        # Draw every row, even those already stored, so row i is the same whatever ran before.
        rows = [demo.demo_shipment(rng, i, day, tz) for i in range(count)]
        todo = [row for row in rows if row.fields["tracking_no"] not in existing]
        zones = list(Zone.objects.filter(station=station, courier__isnull=False))
        plan: DayPlan = plan_day(station, crew, zones, todo, day)
        by_id = {c.pk: c for c in crew}
        for n, row in enumerate(todo, 1):
            play_shipment(station, row, plan.steps[row.index], staff, by_id)
            if n % PROGRESS_EVERY == 0 or n == len(todo):
                self.stderr.write(f"  shipments {n}/{len(todo)}")

    def _summary(self, station: Station, day: date, n_couriers: int, numbers: list[str]) -> None:
        jobs = Job.objects.filter(station=station, service_date=day, shipment__tracking_no__in=numbers)
        mix = dict(jobs.values_list("status").annotate(n=Count("pk")).order_by("status"))
        self.stdout.write(
            f"{station.code} {station.name}, {day}: {sum(mix.values())} jobs "
            + ", ".join(f"{k} {v}" for k, v in mix.items())
        )
        ours = Shipment.objects.filter(tracking_no__in=numbers).order_by("tracking_no")
        # A delivered one has the richest public history to show.
        sample = ours.filter(status="delivered").first() or ours.first()
        last = _employee_nos(n_couriers)[-1]
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password {demo.PASSWORD} for all):")
        self.stdout.write(
            f"  courier     E{demo.FIRST_EMPLOYEE_NO} (… {last}) / {demo.PASSWORD}   handheld app"
        )
        self.stdout.write(f"  supervisor  supervisor / {demo.PASSWORD}")
        self.stdout.write(f"  admin       admin / {demo.PASSWORD}   /admin/")
        if sample is not None:
            self.stdout.write(
                f"Public tracking number: {sample.tracking_no} ({sample.status})   "
                f"GET /api/v1/track/{sample.tracking_no}"
            )


def _employee_nos(n: int) -> list[str]:
    return [f"E{demo.FIRST_EMPLOYEE_NO + k}" for k in range(n)]


def _ensure_station() -> Station:
    spec = demo.STATION
    station = Station.objects.filter(code=spec.code).first()
    return station or couriers.station_create(
        code=spec.code,
        name=spec.name,
        address=spec.address,
        lat=spec.lat,
        lng=spec.lng,
        time_zone=spec.time_zone,
    )


def _ensure_people(station: Station, n: int) -> Ctx:
    """Couriers with their territories, the supervisor and the admin; returns the supervisor's Ctx."""
    rng = random.Random(2026)  # the same names and phones on every run and every day
    for k, (employee_no, roads) in enumerate(zip(_employee_nos(n), demo.territories(n), strict=True)):
        name, phone = demo.person_name(rng), demo.mobile_phone(rng)
        courier = Courier.objects.filter(employee_no=employee_no).first() or couriers.courier_create(
            station_id=station.pk,
            employee_no=employee_no,
            name=name,
            phone=phone,
            password=demo.PASSWORD,
            vehicle_type="van" if k % 4 == 3 else "e_tricycle",
        )
        couriers.courier_set_duty(courier_id=courier.pk, duty_status=DutyStatus.ON_DUTY)
        code = f"Z{k + 1:02d}"
        if not Zone.objects.filter(station=station, code=code).exists():
            couriers.zone_create(
                station_id=station.pk,
                code=code,
                name="、".join(r.name for r in roads) + "片区",
                address_prefixes=[r.prefix for r in roads],
                postcodes=sorted({r.postcode for r in roads}),
                courier_id=courier.pk,
            )
    supervisor = Supervisor.objects.filter(user__username="supervisor").select_related("user").first()
    if supervisor is None:
        supervisor = couriers.supervisor_create(
            station_id=station.pk, username="supervisor", name=demo.person_name(rng), password=demo.PASSWORD
        )
    if not User.objects.filter(username="admin").exists():
        couriers.admin_create(username="admin", password=demo.PASSWORD)
    return Ctx(actor=principal_of(supervisor.user), device_id="demo-console")
