"""Writes for stations, couriers, supervisors, admins and territories.

These are configuration records, not lifecycle ones: they get no TrackingEvent and no change-feed
row. Anything that needs a login (a courier, a supervisor) is created here together with its user,
so the admin, the demo seed and a future onboarding API cannot create one without the other.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import User
from django.db import transaction

from backend.accounts.sockets import recheck_sockets_on_commit
from backend.common.errors import DomainError
from backend.common.validators import clean_coordinates, clean_phone
from backend.couriers.models import (
    DEFAULT_CAPACITY,
    Courier,
    DutyStatus,
    Station,
    Supervisor,
    VehicleType,
    Zone,
)


def _clean_password(password: str) -> str:
    # Mirrors AUTH_PASSWORD_VALIDATORS (minimum length 8) so a service caller gets a coded error.
    if len(password) < 8:
        raise DomainError("invalid", "a password needs at least 8 characters", field="password")
    return password


def _require_free_username(username: str) -> None:
    if not username.strip():
        raise DomainError("invalid", "a username is required", field="username")
    if User.objects.filter(username=username).exists():
        raise DomainError("invalid", f"the username {username!r} is taken", field="username")


@transaction.atomic
def station_create(
    *,
    code: str,
    name: str,
    address: str,
    lat: float,
    lng: float,
    time_zone: str = "Asia/Shanghai",
    phone: str = "",
) -> Station:
    """Create a station; refuses bad coordinates, an unknown time zone, a blank code or name, a taken
    code, a phone that is not one (stored as typed: customers read it, e.g. 0571-88886666)."""
    clean_coordinates(lat, lng)
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError("invalid", f"{time_zone!r} is not an IANA time zone", field="time_zone") from None
    if not code.strip() or not name.strip():
        raise DomainError("invalid", "a station needs a code and a name")
    if Station.objects.filter(code=code).exists():
        raise DomainError("invalid", f"station code {code} is taken", field="code")
    if phone:
        clean_phone(phone)
    return Station.objects.create(
        code=code, name=name, address=address, lat=lat, lng=lng, time_zone=time_zone, phone=phone
    )


def courier_username(employee_no: str) -> str:
    """The user name behind a courier; couriers never type it (they log in with the employee number)."""
    return f"courier-{employee_no.strip().lower()}"


@transaction.atomic
def courier_create(
    *,
    station_id: int,
    employee_no: str,
    name: str,
    phone: str,
    password: str,
    vehicle_type: str = VehicleType.E_TRICYCLE,
    capacity_g: int | None = None,
    capacity_cm3: int | None = None,
    username: str = "",
) -> Courier:
    """Create the courier and the user they log in with (by employee number, see accounts.services.login).

    Capacity defaults to the vehicle type's typical payload. The courier starts off duty.
    """
    if vehicle_type not in VehicleType.values:
        raise DomainError(
            "invalid", f"vehicle_type must be one of {VehicleType.values}", field="vehicle_type"
        )
    if not employee_no.strip() or not name.strip():
        raise DomainError("invalid", "a courier needs an employee number and a name")
    if Courier.objects.filter(employee_no=employee_no).exists():
        raise DomainError("invalid", f"employee number {employee_no} is taken", field="employee_no")
    station = Station.objects.filter(pk=station_id).first()
    if station is None:
        raise DomainError("not_found", f"station {station_id} does not exist")
    e164 = clean_phone(phone)
    username = username or courier_username(employee_no)
    _require_free_username(username)
    default_g, default_cm3 = DEFAULT_CAPACITY[VehicleType(vehicle_type)]
    user = User.objects.create_user(username, password=_clean_password(password), first_name=name[:150])
    return Courier.objects.create(
        user=user,
        station=station,
        employee_no=employee_no,
        name=name,
        phone=e164,
        vehicle_type=vehicle_type,
        capacity_g=capacity_g if capacity_g is not None else default_g,
        capacity_cm3=capacity_cm3 if capacity_cm3 is not None else default_cm3,
        duty_status=DutyStatus.OFF_DUTY,
    )


@transaction.atomic
def supervisor_create(*, station_id: int, username: str, name: str, password: str) -> Supervisor:
    """Create a station's supervisor together with the user they log in with (``invalid``, ``not_found``)."""
    station = Station.objects.filter(pk=station_id).first()
    if station is None:
        raise DomainError("not_found", f"station {station_id} does not exist")
    if not name.strip():
        raise DomainError("invalid", "a supervisor needs a name", field="name")
    _require_free_username(username)
    user = User.objects.create_user(username, password=_clean_password(password), first_name=name[:150])
    return Supervisor.objects.create(user=user, station=station, name=name)


@transaction.atomic
def admin_create(*, username: str, password: str, email: str = "") -> User:
    """A platform administrator (staff + superuser; ``principal_of`` makes them the ADMIN role)."""
    _require_free_username(username)
    return User.objects.create_superuser(username, email=email, password=_clean_password(password))


# Editable by an administrator after creation; ``user`` and ``duty_status`` have their own services.
COURIER_EDITABLE = frozenset(
    {
        "station",
        "employee_no",
        "name",
        "phone",
        "vehicle_type",
        "capacity_g",
        "capacity_cm3",
        "shift_start",
        "shift_end",
    }
)
# A job the courier still holds (docs/api.md: "open = assigned/accepted/started/arrived"). Spelled
# as values so that couriers, below shipments in the layers, need not import its states.
OPEN_JOB_STATUSES = ("assigned", "accepted", "started", "arrived")


def check_station_move(courier: Courier, station_id: int) -> None:
    """A courier changes station only with empty hands: no open job, no territory.

    Their open jobs would stay on the old station's desk with a courier it cannot reach, and a
    territory may only be owned by a courier of its station. Raises ``courier_has_open_work``.
    Shared with the admin form, which shows it on the station field.
    """
    if station_id == courier.station_id:
        return
    open_jobs = Courier.objects.filter(pk=courier.pk, jobs__status__in=OPEN_JOB_STATUSES).count()
    zones = sorted(Zone.objects.filter(courier_id=courier.pk).values_list("code", flat=True))
    if open_jobs or zones:
        raise DomainError(
            "courier_has_open_work",
            f"courier {courier.employee_no} still holds {open_jobs} open job(s) and "
            f"{len(zones)} territory(ies): reassign them before moving the courier to another station",
            open_jobs=open_jobs,
            zones=zones,
        )


@transaction.atomic
def courier_update(*, courier_id: int, changes: dict[str, object]) -> Courier:
    """Change a courier's configuration (the admin's edit form).

    ``changes`` maps fields of :data:`COURIER_EDITABLE` to new values (``station`` is a
    :class:`Station` or its id). Locks the courier; a station move is refused with
    ``courier_has_open_work`` while they hold open jobs or territories (see
    :func:`check_station_move`); the phone is normalised. Returns the courier as saved. After a
    move commits, the courier's open sockets re-read their access (their feed stays theirs; their
    commands act at the new station).
    """
    unknown = set(changes) - COURIER_EDITABLE
    if unknown:
        raise DomainError("invalid", f"cannot change {sorted(unknown)} here", field=sorted(unknown)[0])
    courier = Courier.objects.select_for_update(no_key=True).filter(pk=courier_id).first()
    if courier is None:
        raise DomainError("not_found", f"courier {courier_id} does not exist")
    values = dict(changes)
    if "station" in values:
        station = values.pop("station")
        station_id = station.pk if isinstance(station, Station) else int(str(station))
        if not Station.objects.filter(pk=station_id).exists():
            raise DomainError("not_found", f"station {station_id} does not exist")
        check_station_move(courier, station_id)
        if station_id != courier.station_id:
            recheck_sockets_on_commit([courier.user_id])
        courier.station_id = station_id
        values["station_id"] = station_id
    if "phone" in values:
        values["phone"] = clean_phone(str(values["phone"]))
    for name, value in values.items():
        setattr(courier, name, value)
    if values:
        courier.save(update_fields=[n.removesuffix("_id") for n in values])
    return courier


@transaction.atomic
def courier_delete(*, courier_id: int) -> None:
    """Delete a courier record nothing refers to (a courier with any history is protected:
    ``ProtectedError``, which the admin shows before asking). The user stays; their open sockets
    re-read their access and the courier feed closes 4403. Deactivate the user instead to keep the record."""
    courier = Courier.objects.select_for_update().filter(pk=courier_id).first()
    if courier is None:
        raise DomainError("not_found", f"courier {courier_id} does not exist")
    courier.delete()
    recheck_sockets_on_commit([courier.user_id])


SUPERVISOR_EDITABLE = frozenset({"station", "name"})


@transaction.atomic
def supervisor_update(*, supervisor_id: int, changes: dict[str, object]) -> Supervisor:
    """Move a supervisor to another station or rename them (the admin's edit form).

    ``changes`` maps fields of :data:`SUPERVISOR_EDITABLE` to new values (``station`` is a
    :class:`Station` or its id). After a move commits, their open sockets on the old station's
    feed close 4403 (``accounts.sockets``): every request already reads the role afresh.
    """
    unknown = set(changes) - SUPERVISOR_EDITABLE
    if unknown:
        raise DomainError("invalid", f"cannot change {sorted(unknown)} here", field=sorted(unknown)[0])
    supervisor = Supervisor.objects.select_for_update().filter(pk=supervisor_id).first()
    if supervisor is None:
        raise DomainError("not_found", f"supervisor {supervisor_id} does not exist")
    fields = []
    if "station" in changes:
        station = changes["station"]
        station_id = station.pk if isinstance(station, Station) else int(str(station))
        if not Station.objects.filter(pk=station_id).exists():
            raise DomainError("not_found", f"station {station_id} does not exist")
        if station_id != supervisor.station_id:
            supervisor.station_id = station_id
            fields.append("station")
            recheck_sockets_on_commit([supervisor.user_id])
    if "name" in changes:
        name = str(changes["name"]).strip()
        if not name:
            raise DomainError("invalid", "a supervisor needs a name", field="name")
        supervisor.name = name
        fields.append("name")
    if fields:
        supervisor.save(update_fields=fields)
    return supervisor


@transaction.atomic
def supervisor_delete(*, supervisor_id: int) -> None:
    """End the supervisor role; the user stays (they may run stations as a manager too). Their open
    sockets re-read their access: a station feed that is no longer theirs closes 4403."""
    supervisor = Supervisor.objects.select_for_update().filter(pk=supervisor_id).first()
    if supervisor is None:
        raise DomainError("not_found", f"supervisor {supervisor_id} does not exist")
    supervisor.delete()
    recheck_sockets_on_commit([supervisor.user_id])


@transaction.atomic
def courier_set_duty(*, courier_id: int, duty_status: str) -> Courier:
    """Set a courier on duty, on a break or off duty (the admin's actions; dispatch reads it)."""
    if duty_status not in DutyStatus.values:
        raise DomainError("invalid", f"duty_status must be one of {DutyStatus.values}", field="duty_status")
    courier = Courier.objects.select_for_update(no_key=True).filter(pk=courier_id).first()
    if courier is None:
        raise DomainError("not_found", f"courier {courier_id} does not exist")
    if courier.duty_status != duty_status:
        courier.duty_status = duty_status
        courier.save(update_fields=["duty_status"])
    return courier


def _clean_strings(values: list[str], field: str) -> list[str]:
    cleaned = [str(v).strip() for v in values]
    if any(not v for v in cleaned):
        raise DomainError("invalid", f"{field} may not hold empty entries", field=field)
    return list(dict.fromkeys(cleaned))  # drop repeats, keep the order people typed


@transaction.atomic
def zone_create(
    *,
    station_id: int,
    code: str,
    name: str,
    address_prefixes: list[str],
    postcodes: list[str],
    courier_id: int | None = None,
) -> Zone:
    """Create a territory of prefixes and postcodes (duplicates dropped), optionally owned via ``zone_assign``."""
    if not Station.objects.filter(pk=station_id).exists():
        raise DomainError("not_found", f"station {station_id} does not exist")
    if Zone.objects.filter(station_id=station_id, code=code).exists():
        raise DomainError("invalid", f"zone {code} already exists at this station", field="code")
    zone = Zone.objects.create(
        station_id=station_id,
        code=code,
        name=name,
        address_prefixes=_clean_strings(address_prefixes, "address_prefixes"),
        postcodes=_clean_strings(postcodes, "postcodes"),
    )
    if courier_id is not None:
        zone = zone_assign(zone_id=zone.pk, courier_id=courier_id)
    return zone


def check_zone_courier(zone_station_id: int, courier: Courier | None) -> None:
    """A territory can only be owned by a courier of its own station (shared with the admin form)."""
    if courier is not None and courier.station_id != zone_station_id:
        raise DomainError("courier_other_station", f"courier {courier.employee_no} works at another station")


@transaction.atomic
def zone_assign(*, zone_id: int, courier_id: int | None) -> Zone:
    """Give a territory to a courier, or take it away (``courier_id=None``)."""
    zone = Zone.objects.select_for_update().filter(pk=zone_id).first()
    if zone is None:
        raise DomainError("not_found", f"zone {zone_id} does not exist")
    courier = None
    if courier_id is not None:
        courier = Courier.objects.filter(pk=courier_id).first()
        if courier is None:
            raise DomainError("not_found", f"courier {courier_id} does not exist")
    check_zone_courier(zone.station_id, courier)
    zone.courier = courier
    zone.save(update_fields=["courier"])
    return zone
