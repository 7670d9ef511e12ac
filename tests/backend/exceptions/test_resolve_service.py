"""Resolving an exception with a reason: the row, the refusals, and the queue without it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.exceptions.kinds import ExceptionKind
from backend.exceptions.models import ExceptionResolution
from backend.exceptions.selectors import exception_queue
from backend.exceptions.services import exception_resolve
from backend.shipments.services import scan
from tests.backend.exceptions.conftest import NOW
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db
LATER = NOW + timedelta(days=2)  # the parcel scanned at NOW is stale by then


def _stale(station: Station, staff: Person) -> str:
    job = make_job(station, staff.ctx)
    scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=staff.ctx)
    [item] = exception_queue(station=station, now=LATER, kind=ExceptionKind.STALE_PARCEL)
    return item.subject


def test_it_writes_who_why_and_when_and_the_item_leaves_the_queue(
    station: Station, supervisor: Person
) -> None:
    subject = _stale(station, supervisor)
    row = exception_resolve(
        station_id=station.pk,
        kind=ExceptionKind.STALE_PARCEL,
        subject=subject,
        reason="found behind the shelf",
        ctx=supervisor.ctx,
        now=LATER,
    )
    assert (row.reason, row.resolved_by_id, row.resolved_at) == (
        "found behind the shelf",
        supervisor.user.pk,
        LATER,
    )
    assert row.shipment_id is not None
    assert exception_queue(station=station, now=LATER, kind=ExceptionKind.STALE_PARCEL) == []


def test_a_new_scan_then_silence_is_a_new_exception(station: Station, supervisor: Person) -> None:
    subject = _stale(station, supervisor)
    exception_resolve(
        station_id=station.pk,
        kind=ExceptionKind.STALE_PARCEL,
        subject=subject,
        reason="ok",
        ctx=supervisor.ctx,
        now=LATER,
    )
    [shipment_id] = ExceptionResolution.objects.values_list("shipment_id", flat=True)
    from backend.shipments.models import Shipment

    scan(tracking_no=Shipment.objects.get(pk=shipment_id).tracking_no, scan_kind="sorted", ctx=supervisor.ctx)
    [again] = exception_queue(station=station, now=LATER, kind=ExceptionKind.STALE_PARCEL)
    assert again.subject != subject


@pytest.mark.parametrize(
    ("reason", "kind", "subject", "code"),
    [
        ("   ", ExceptionKind.STALE_PARCEL, None, "invalid"),
        ("why", "nonsense", None, "invalid"),
        ("why", ExceptionKind.STALE_PARCEL, "shipment:0:0", "not_found"),
        ("why", ExceptionKind.COURIER_OFFLINE, None, "not_found"),
    ],
)
def test_it_refuses_without_a_reason_or_an_open_exception(
    station: Station, supervisor: Person, reason: str, kind: str, subject: str | None, code: str
) -> None:
    real = _stale(station, supervisor)
    with pytest.raises(DomainError) as exc:
        exception_resolve(
            station_id=station.pk,
            kind=kind,
            subject=subject or real,
            reason=reason,
            ctx=supervisor.ctx,
            now=LATER,
        )
    assert exc.value.code == code
    assert ExceptionResolution.objects.count() == 0


def test_twice_is_already_resolved(station: Station, supervisor: Person) -> None:
    subject = _stale(station, supervisor)
    args = {"station_id": station.pk, "kind": ExceptionKind.STALE_PARCEL, "subject": subject, "now": LATER}
    exception_resolve(reason="first", ctx=supervisor.ctx, **args)
    with pytest.raises(DomainError) as exc:
        exception_resolve(reason="second", ctx=supervisor.ctx, **args)
    assert exc.value.code == "already_resolved" and exc.value.status == 409


def test_another_stations_supervisor_and_a_courier_are_refused(
    station: Station, supervisor: Person, other_supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    subject = _stale(station, supervisor)
    args = {
        "station_id": station.pk,
        "kind": ExceptionKind.STALE_PARCEL,
        "subject": subject,
        "reason": "x",
        "now": LATER,
    }
    with pytest.raises(DomainError) as exc:
        exception_resolve(ctx=other_supervisor.ctx, **args)
    assert exc.value.code == "permission_denied"
    with pytest.raises(DomainError) as exc:
        exception_resolve(ctx=courier[1].ctx, **args)
    assert exc.value.code == "wrong_role"
    assert ExceptionResolution.objects.count() == 0
