"""backend.couriers.services: people and territories are created whole, or refused with a code."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from backend.accounts.roles import Role
from backend.accounts.services import login
from backend.common.errors import DomainError
from backend.couriers import services
from backend.couriers.models import Courier, DutyStatus, Station, Zone


@pytest.mark.django_db
def test_courier_create_makes_a_user_who_logs_in_with_the_employee_number(station: Station) -> None:
    courier = services.courier_create(
        station_id=station.pk,
        employee_no="E7001",
        name="陈明",
        phone="139 1234 5678",
        password="long-enough-1",
        vehicle_type="van",
    )
    assert (courier.phone, courier.capacity_g, courier.capacity_cm3) == (
        "+8613912345678",
        1_000_000,
        6_000_000,
    )
    assert courier.duty_status == DutyStatus.OFF_DUTY
    assert courier.user.username == "courier-e7001"
    _, _, principal = login(login="E7001", password="long-enough-1", device_id="d1")
    assert (principal.role, principal.courier_id) == (Role.COURIER, courier.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"phone": "12345"}, "invalid_phone"),
        ({"password": "short"}, "invalid"),
        ({"vehicle_type": "rocket"}, "invalid"),
        ({"employee_no": "E7002"}, "invalid"),
        ({"station_id": 999_999}, "not_found"),
    ],
)
def test_courier_create_refuses_bad_input_and_creates_nothing(
    station: Station, overrides: dict[str, object], code: str
) -> None:
    services.courier_create(
        station_id=station.pk, employee_no="E7002", name="甲", phone="13912345678", password="long-enough-1"
    )
    users = User.objects.count()
    args: dict[str, object] = {
        "station_id": station.pk,
        "employee_no": "E7003",
        "name": "乙",
        "phone": "13912345679",
        "password": "long-enough-1",
    } | overrides
    with pytest.raises(DomainError) as exc:
        services.courier_create(**args)  # type: ignore[arg-type]
    assert exc.value.code == code
    assert (User.objects.count(), Courier.objects.count()) == (users, 1)


@pytest.mark.django_db
def test_station_create_checks_coordinates_zone_code_and_phone() -> None:
    station = services.station_create(
        code="HZ02", name="杭州滨江站", address="滨江区", lat=30.2, lng=120.2, phone="0571-88886666"
    )
    assert (station.time_zone, station.phone) == ("Asia/Shanghai", "0571-88886666")  # as customers read it
    for kwargs, code in [
        ({"code": "HZ02"}, "invalid"),
        ({"lat": 91.0}, "invalid_coordinates"),
        ({"time_zone": "Mars/Olympus"}, "invalid"),
        ({"phone": "12345"}, "invalid_phone"),
    ]:
        args: dict[str, object] = {
            "code": "HZ03",
            "name": "x",
            "address": "y",
            "lat": 30.0,
            "lng": 120.0,
        } | kwargs
        with pytest.raises(DomainError) as exc:
            services.station_create(**args)  # type: ignore[arg-type]
        assert exc.value.code == code
    assert Station.objects.count() == 1


@pytest.mark.django_db
def test_supervisor_and_admin_get_their_roles(station: Station) -> None:
    services.supervisor_create(
        station_id=station.pk, username="boss", name="周站长", password="long-enough-1"
    )
    services.admin_create(username="root2", password="long-enough-1")
    assert login(login="boss", password="long-enough-1", device_id="d")[2].role is Role.SUPERVISOR
    assert login(login="root2", password="long-enough-1", device_id="d")[2].role is Role.ADMIN
    with pytest.raises(DomainError, match="taken"):
        services.supervisor_create(
            station_id=station.pk, username="boss", name="又一个", password="long-enough-1"
        )


@pytest.mark.django_db
def test_zone_belongs_to_a_courier_of_its_own_station(station: Station, other_station: Station) -> None:
    mine = services.courier_create(
        station_id=station.pk, employee_no="E7101", name="甲", phone="13912345678", password="long-enough-1"
    )
    theirs = services.courier_create(
        station_id=other_station.pk,
        employee_no="E7102",
        name="乙",
        phone="13912345679",
        password="long-enough-1",
    )
    zone = services.zone_create(
        station_id=station.pk,
        code="Z01",
        name="文三路片区",
        address_prefixes=["西湖区文三路", " 西湖区文三路 "],
        postcodes=["310012"],
        courier_id=mine.pk,
    )
    assert (zone.courier_id, zone.address_prefixes) == (mine.pk, ["西湖区文三路"])
    with pytest.raises(DomainError) as exc:
        services.zone_assign(zone_id=zone.pk, courier_id=theirs.pk)
    assert exc.value.code == "courier_other_station"
    assert Zone.objects.get(pk=zone.pk).courier_id == mine.pk
    assert services.zone_assign(zone_id=zone.pk, courier_id=None).courier_id is None


@pytest.mark.django_db
def test_courier_set_duty_accepts_only_known_states(courier: tuple[Courier, object]) -> None:
    c, _ = courier
    assert services.courier_set_duty(courier_id=c.pk, duty_status="on_break").duty_status == "on_break"
    with pytest.raises(DomainError) as exc:
        services.courier_set_duty(courier_id=c.pk, duty_status="asleep")
    assert exc.value.code == "invalid"
    assert Courier.objects.get(pk=c.pk).duty_status == "on_break"
