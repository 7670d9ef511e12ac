"""Onboarding a station from its files: one service, all or nothing.

``station_onboard`` checks every row first (``rows.parse``, then what only the database knows:
a station code, employee number or user name already in use), and writes nothing unless the whole
import is clean. The writes then go through the services that own each record (couriers.services
for the station, its people and territories, pickup.services for the tariff book), in one
transaction: if any of them still refuses (someone took an employee number a moment ago), the
refusal is reported against its row and everything is rolled back.

A dry run makes every check and no write. The checks cover every rule the services enforce (blank,
length, format, taken, the tariff parser), so a passing dry run means the import will pass unless
someone takes a key in between. It does not rehearse the writes: they would hash every initial
password (about a second each with the production hasher), and a dry run is what people run again
and again while fixing a roster.

Re-importing is refused, not merged: a station code that exists is an error on the station row.
Changing a live station (a courier joins, a zone moves) is the admin's job, where each edit goes
through its own service with its own checks (a courier's station move, a zone's owner).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import IntegrityError, transaction

from backend.common.errors import DomainError
from backend.couriers import services as couriers
from backend.pickup.services import tariff_book_publish
from backend.shipments.context import Ctx
from backend.stations import manager_rows, selectors
from backend.stations.plan import At, Plan, RowError
from backend.stations.rows import parse
from backend.stations.services.managers import manager_grant
from backend.stations.tables import Sheet, TableError

# No 0/O, 1/l/I: initial passwords are read off a sheet of paper and typed on a handheld.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
PASSWORD_LENGTH = 12
T = TypeVar("T")


def generate_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


@dataclass(frozen=True)
class Credential:
    """A login created by the import. ``password`` is only set when the import generated it."""

    role: str  # "supervisor" | "manager" | "courier"
    name: str
    login: str  # what they type: a supervisor's user name, a courier's employee number
    password: str | None


@dataclass
class OnboardReport:
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    station_id: int | None = None  # None unless the import was applied
    station_code: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    credentials: list[Credential] = field(default_factory=list)
    tariff_version: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def applied(self) -> bool:
        return self.ok and not self.dry_run


class _Undo(Exception):
    """Raised inside the transaction to roll it back when a service refuses a row."""


def _database_checks(plan: Plan, errors: list[RowError]) -> None:
    def taken(at: At, column: str, code: str, message: str) -> None:
        errors.append(RowError(at.source, at.line, column, code, message))

    if plan.station and selectors.station_code_taken(plan.station.code):
        taken(
            plan.station.at,
            "code",
            "station_exists",
            f"station {plan.station.code} already exists; an import only creates a new station "
            "(change a running station in the admin)",
        )
    numbers = [c.employee_no for c in plan.couriers]
    used = selectors.employee_nos_taken(numbers)
    logins = selectors.courier_usernames(numbers)
    used_logins = selectors.usernames_taken([*logins.values(), *(s.username for s in plan.supervisors)])
    for supervisor in plan.supervisors:
        if supervisor.username in used_logins or supervisor.username in logins.values():
            taken(
                supervisor.at, "username", "taken", f"the username {supervisor.username!r} is already in use"
            )
    for courier in plan.couriers:
        if courier.employee_no in used or logins[courier.employee_no] in used_logins:
            taken(
                courier.at, "employee_no", "taken", f"employee number {courier.employee_no} is already in use"
            )
    manager_rows.check(plan.managers, set(logins.values()), taken)


def station_onboard(
    *,
    sheets: list[Sheet],
    problems: list[TableError] | None = None,
    dry_run: bool = False,
    password_factory: Callable[[], str] = generate_password,
    opened_by_manager: int | None = None,
) -> OnboardReport:
    """Create a station with its supervisors, managers, couriers, zones and tariff book from checked sheets.

    ``opened_by_manager``: the user id of the station manager importing it (the admin's page), who
    then manages the new station too.

    Returns a report: its ``errors`` list every bad cell by file, line and column, and then nothing
    was written. On success ``credentials`` carries each new login (with the generated password
    when the file gave none): the caller shows or stores them once; they are not kept anywhere.
    """
    report = OnboardReport(dry_run=dry_run)
    plan, report.errors = parse(sheets, problems)
    if report.errors:
        return report
    _database_checks(plan, report.errors)
    if report.errors:
        return report
    assert plan.station is not None  # parse reports station_missing otherwise
    report.station_code = plan.station.code
    report.counts = {
        "supervisors": len(plan.supervisors),
        "managers": len(plan.managers),
        "couriers": len(plan.couriers),
        "zones": len(plan.zones),
        "tariffs": len(plan.tariffs),
    }
    if dry_run:
        return report
    try:
        with transaction.atomic():
            _apply(plan, report, password_factory, opened_by_manager)
    except _Undo:  # rolled back: no station id to show, no password to hand out
        report.station_id = None
        report.tariff_version = None
        report.credentials = []
    return report


def _apply(
    plan: Plan, report: OnboardReport, password_factory: Callable[[], str], opened_by: int | None
) -> None:
    assert plan.station is not None
    at = plan.station.at

    def run(where: At, call: Callable[..., T], **kwargs: Any) -> T:
        try:
            return call(**kwargs)
        except DomainError as exc:
            # A check the pre-pass does not make (or a race): report it against its row, undo all.
            column = str(exc.details.get("field", ""))
            report.errors.append(RowError(where.source, where.line, column, exc.code, exc.message))
            raise _Undo from exc
        except IntegrityError as exc:
            # A unique key taken by another transaction after the service's own check.
            message = f"a key of this row was taken while importing: {exc}"
            report.errors.append(RowError(where.source, where.line, "", "taken", message))
            raise _Undo from exc

    s = plan.station
    station = run(
        at,
        couriers.station_create,
        code=s.code,
        name=s.name,
        address=s.address,
        lat=s.lat,
        lng=s.lng,
        time_zone=s.time_zone,
        phone=s.phone,
    )
    report.station_id = station.pk
    for sup in plan.supervisors:
        password = sup.password or password_factory()
        run(
            sup.at,
            couriers.supervisor_create,
            station_id=station.pk,
            username=sup.username,
            name=sup.name,
            password=password,
        )
        report.credentials.append(
            Credential("supervisor", sup.name, sup.username, None if sup.password else password)
        )
    for m, generated in manager_rows.apply(plan.managers, station.pk, run, password_factory):
        report.credentials.append(Credential("manager", m.name, m.username, generated))
    if opened_by is not None:
        run(at, manager_grant, user_id=opened_by, station_id=station.pk, granted_by=opened_by)
    courier_ids: dict[str, int] = {}
    for c in plan.couriers:
        password = c.password or password_factory()
        courier = run(
            c.at,
            couriers.courier_create,
            station_id=station.pk,
            employee_no=c.employee_no,
            name=c.name,
            phone=c.phone,
            password=password,
            vehicle_type=c.vehicle_type,
            capacity_g=c.capacity_g,
            capacity_cm3=c.capacity_cm3,
        )
        courier_ids[c.employee_no] = courier.pk
        report.credentials.append(
            Credential("courier", c.name, c.employee_no, None if c.password else password)
        )
    for z in plan.zones:
        run(
            z.at,
            couriers.zone_create,
            station_id=station.pk,
            code=z.code,
            name=z.name,
            address_prefixes=z.address_prefixes,
            postcodes=z.postcodes,
            courier_id=courier_ids[z.courier] if z.courier else None,
        )
    # The book last: publishing it appends to the change feed, whose counter lock must be taken by
    # the transaction's last statement (docs/architecture.md, "Why the change feed is numbered under a lock").
    if plan.tariffs:
        book = {"tariffs": [{"origin": s.code, **t.values} for t in plan.tariffs]}
        first = plan.tariffs[0].at
        version = run(first, tariff_book_publish, ctx=Ctx.system(), origin=s.code, book_json=book)
        report.tariff_version = version.version
