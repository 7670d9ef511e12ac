"""Unmasking a contact field: the value only with a reason, and always an audit row."""

from __future__ import annotations

import pytest

from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.exceptions.models import ContactReveal
from backend.exceptions.services import contact_reveal
from tests.backend.exceptions.conftest import NOW
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def test_it_returns_the_full_value_and_records_who_what_when_why(
    station: Station, supervisor: Person
) -> None:
    job = make_job(station, supervisor.ctx)
    shown = contact_reveal(
        shipment_id=job.shipment_id,
        field="recipient_phone",
        reason="customer on the phone",
        ctx=supervisor.ctx,
    )
    assert shown.value == "+8613912345678"  # stored normalised
    row = ContactReveal.objects.get()
    assert (row.shipment_id, row.field, row.reason, row.revealed_by_id, row.revealed_at) == (
        job.shipment_id,
        "recipient_phone",
        "customer on the phone",
        supervisor.user.pk,
        NOW,
    )


@pytest.mark.parametrize(("field", "reason"), [("recipient_phone", " "), ("delivery_code", "curious")])
def test_it_refuses_without_a_reason_or_for_another_field(
    station: Station, supervisor: Person, field: str, reason: str
) -> None:
    job = make_job(station, supervisor.ctx)
    with pytest.raises(DomainError) as exc:
        contact_reveal(shipment_id=job.shipment_id, field=field, reason=reason, ctx=supervisor.ctx)
    assert exc.value.code == "invalid"
    assert ContactReveal.objects.count() == 0


def test_another_station_and_couriers_see_nothing(
    station: Station, supervisor: Person, other_supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx)
    for who, code in ((other_supervisor, "permission_denied"), (courier[1], "wrong_role")):
        with pytest.raises(DomainError) as exc:
            contact_reveal(shipment_id=job.shipment_id, field="recipient_address", reason="x", ctx=who.ctx)
        assert exc.value.code == code
    assert ContactReveal.objects.count() == 0
