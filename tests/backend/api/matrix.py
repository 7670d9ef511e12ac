"""The permission matrix's vocabulary: the eight callers, one seeded world, and how a row is written.

A station manager (站长) is a supervisor at each station they run: ``manager_own`` runs station A
and a third station (so the principal has no single station), ``manager_other`` runs station B only.
Their expectation is the supervisor's of the same side (``Row.expected``) unless a row gives its own.

Other apps register rows for their own routes by adding a module ``tests/backend/<app>/api_matrix.py``
that defines ``ROWS: dict[str, Row]`` (route name → row); ``test_permission_matrix`` finds and runs
those modules too, and fails for any /api/v1/ route that has no row anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend.couriers.models import Courier, Station
from backend.shipments.models import Job
from backend.shipments.services import job_accept, job_assign, job_start, scan
from tests.fixtures.jobs import make_job
from tests.fixtures.people import (
    Person,
    make_admin,
    make_courier,
    make_manager,
    make_station,
    make_supervisor,
)

ROLES = (
    "anonymous",
    "courier_own",
    "courier_other",
    "supervisor_own",
    "supervisor_other",
    "admin",
    "manager_own",
    "manager_other",
)
# A row's six written columns; a manager is read as the supervisor of the same side.
WRITTEN = ROLES[:6]
AS_SUPERVISOR = {"manager_own": "supervisor_own", "manager_other": "supervisor_other"}


@dataclass
class World:
    """Station A with two couriers, its supervisor, station B's supervisor, an admin, a manager of A
    (and of a third station), a manager of B, and jobs.

    ``delivery`` and ``pickup`` are assigned to ``courier`` (the "own" courier); the delivery's
    shipment has been scanned in at the station, so it can go out.
    """

    station: Station
    other_station: Station
    courier: Courier
    courier_person: Person
    other_courier: Courier
    other_courier_person: Person
    supervisor: Person
    other_supervisor: Person
    admin: Person
    manager: Person
    other_manager: Person
    delivery: Job
    pickup: Job
    extra: dict[str, Any] = field(default_factory=dict)

    def caller(self, role: str) -> Person | None:
        return {
            "anonymous": None,
            "courier_own": self.courier_person,
            "courier_other": self.other_courier_person,
            "supervisor_own": self.supervisor,
            "supervisor_other": self.other_supervisor,
            "admin": self.admin,
            "manager_own": self.manager,
            "manager_other": self.other_manager,
        }[role]

    def start(self, job: Job) -> None:
        """Accept and start ``job`` as its courier (for the actions that need a courier on the way)."""
        ctx = self.courier_person.ctx
        job_accept(job_id=job.pk, ctx=ctx)
        job_start(job_id=job.pk, ctx=ctx)


def build_world() -> World:
    station, other_station = make_station(), make_station()
    courier, courier_person = make_courier(station)
    other_courier, other_courier_person = make_courier(station)
    supervisor = make_supervisor(station)
    staff = supervisor.ctx
    delivery = make_job(station, staff, "delivery", delivery_code="4321")
    scan(tracking_no=delivery.shipment.tracking_no, scan_kind="station_in", ctx=staff)
    delivery = job_assign(job_id=delivery.pk, courier_id=courier.pk, ctx=staff)
    pickup = job_assign(job_id=make_job(station, staff, "pickup").pk, courier_id=courier.pk, ctx=staff)
    return World(
        station=station,
        other_station=other_station,
        courier=courier,
        courier_person=courier_person,
        other_courier=other_courier,
        other_courier_person=other_courier_person,
        supervisor=supervisor,
        other_supervisor=make_supervisor(other_station),
        admin=make_admin(),
        manager=make_manager(station, make_station()),
        other_manager=make_manager(other_station),
        delivery=delivery,
        pickup=pickup,
    )


# An expectation is "200", "404", or "403w" / "403p" for 403 with wrong_role / permission_denied.
CODES = {
    "403w": (403, "wrong_role"),
    "403p": (403, "permission_denied"),
    "404": (404, "not_found"),
    "401": (401, "not_authenticated"),
}


@dataclass(frozen=True)
class Row:
    method: str
    url: Callable[[World], str]
    expect: str  # six expectations, in WRITTEN order, separated by spaces
    body: Callable[[World], Any] = lambda w: None
    setup: Callable[[World], None] = lambda w: None
    managers: str = ""  # manager_own and manager_other, when they differ from the supervisors'

    def expected(self, role: str) -> tuple[int, str | None]:
        if role in AS_SUPERVISOR and self.managers:
            token = self.managers.split()[list(AS_SUPERVISOR).index(role)]
        else:
            token = self.expect.split()[WRITTEN.index(AS_SUPERVISOR.get(role, role))]
        return CODES[token] if token in CODES else (int(token), None)
