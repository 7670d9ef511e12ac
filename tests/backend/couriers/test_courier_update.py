"""courier_update (the admin's edit): a station move needs empty hands; other edits just apply."""

from __future__ import annotations

import pytest

from backend.common.errors import DomainError
from backend.couriers import services
from backend.couriers.admin import CourierForm
from backend.couriers.models import Courier, Station, Zone
from backend.shipments.services import job_assign
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def test_a_courier_with_an_open_job_or_a_territory_cannot_move_station(
    station: Station, other_station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c = courier[0]
    job_assign(job_id=make_job(station, supervisor.ctx).pk, courier_id=c.pk, ctx=supervisor.ctx)
    Zone.objects.create(station=station, code="Z1", name="文三路", courier=c)

    with pytest.raises(DomainError) as err:
        services.courier_update(courier_id=c.pk, changes={"station": other_station, "name": "新名"})

    assert (err.value.code, err.value.details) == ("courier_has_open_work", {"open_jobs": 1, "zones": ["Z1"]})
    assert Courier.objects.values_list("station_id", "name").get(pk=c.pk) == (station.pk, c.name)


def test_a_courier_with_empty_hands_moves_and_other_edits_apply(
    station: Station, other_station: Station, courier: tuple[Courier, Person]
) -> None:
    c = courier[0]
    moved = services.courier_update(
        courier_id=c.pk, changes={"station": other_station, "phone": "139 1234 5678", "capacity_g": 1000}
    )
    assert Courier.objects.values_list("station_id", "phone", "capacity_g").get(pk=c.pk) == (
        other_station.pk,
        "+8613912345678",
        1000,
    )
    assert moved.station_id == other_station.pk


def test_fields_outside_the_edit_form_are_refused(courier: tuple[Courier, Person]) -> None:
    with pytest.raises(DomainError) as err:
        services.courier_update(courier_id=courier[0].pk, changes={"duty_status": "on_duty"})
    assert err.value.code == "invalid"


def test_the_admin_form_shows_the_refusal_on_the_station_field(
    station: Station, other_station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    c = courier[0]
    job_assign(job_id=make_job(station, supervisor.ctx).pk, courier_id=c.pk, ctx=supervisor.ctx)
    data = {f: getattr(c, f) for f in CourierForm.Meta.fields if f != "station"} | {
        "station": other_station.pk
    }
    form = CourierForm(data=data, instance=Courier.objects.get(pk=c.pk))
    assert not form.is_valid()
    assert "reassign them before moving" in form.errors["station"][0]
