"""Granting and revoking the station-manager role (站长): the admin, the import and a shell call these.

A grant makes the user a supervisor at the station plus what only a manager does there (open
stations, manage its staff, zones and tariff book in the admin: ``accounts.roles``); it also ticks
``is_staff`` so they can sign in to the admin, whose pages then show them their stations only
(``stations.admin_scope``). Revoking a station takes all of that away at once: every request reads
the role afresh, and the person's open sockets re-read it when the revocation commits (a socket
following the station's feed closes 4403; docs/realtime.md, "Access withdrawn").
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from backend.accounts.sockets import recheck_sockets_on_commit
from backend.common.errors import DomainError
from backend.common.validators import clean_phone
from backend.couriers.models import Courier, Station
from backend.stations.models import ManagedStation, StationManager

MIN_PASSWORD = 8  # AUTH_PASSWORD_VALIDATORS' minimum, as couriers.services checks it


def _lock_user(user_id: int) -> User:
    # Grants and revokes of one person are serialised on their user row: "was that the last
    # station?" must not race with a grant made at the same moment.
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise DomainError("not_found", f"user {user_id} does not exist")
    return user


def _station(station_id: int) -> Station:
    station = Station.objects.filter(pk=station_id).first()
    if station is None:
        raise DomainError("not_found", f"station {station_id} does not exist")
    return station


@transaction.atomic
def manager_grant(
    *,
    user_id: int,
    station_id: int,
    granted_by: int | None = None,
    name: str = "",
    phone: str = "",
) -> StationManager:
    """Make the user the manager of the station (once: a repeated grant changes nothing).

    The first grant creates their manager record, which needs a ``name`` and a ``phone`` (escalations
    are texted to it); later grants may leave both blank. A courier's account cannot be a manager
    (it is a handheld login; give the person a staff account of their own): ``invalid``.
    """
    user = _lock_user(user_id)
    station = _station(station_id)
    if Courier.objects.filter(user_id=user_id).exists():
        raise DomainError("invalid", "a courier's account cannot be a station manager", field="user")
    manager = StationManager.objects.filter(user_id=user_id).first()
    if manager is None:
        if not name.strip():
            raise DomainError("invalid", "a station manager needs a name", field="name")
        if not phone.strip():
            raise DomainError("invalid", "a station manager needs a phone for escalations", field="phone")
        manager = StationManager.objects.create(user=user, name=name.strip()[:64], phone=clean_phone(phone))
    _, granted = ManagedStation.objects.get_or_create(
        manager=manager,
        station=station,
        defaults={"granted_at": timezone.now(), "granted_by_id": granted_by},
    )
    if granted:  # their open sockets act with the new station too (commands; the feed is per station)
        recheck_sockets_on_commit([user_id])
    if not user.is_staff:
        User.objects.filter(pk=user.pk).update(is_staff=True)
    return manager


@transaction.atomic
def manager_create(
    *,
    username: str,
    password: str,
    name: str,
    phone: str,
    station_ids: Iterable[int],
    granted_by: int | None = None,
) -> StationManager:
    """A new staff user who manages ``station_ids`` (at least one): ``invalid`` for a taken
    username, a short password, a blank name or a bad phone; ``not_found`` for an unknown station."""
    stations = sorted(set(station_ids))
    if not stations:
        raise DomainError("invalid", "a station manager needs at least one station", field="stations")
    if not username.strip():
        raise DomainError("invalid", "a username is required", field="username")
    if User.objects.filter(username=username).exists():
        raise DomainError("invalid", f"the username {username!r} is taken", field="username")
    if len(password) < MIN_PASSWORD:
        raise DomainError("invalid", "a password needs at least 8 characters", field="password")
    clean_phone(phone)  # before the user is made: a refusal leaves nothing behind
    user = User.objects.create_user(username, password=password, first_name=name[:150], is_staff=True)
    manager: StationManager | None = None
    for station_id in stations:
        manager = manager_grant(
            user_id=user.pk, station_id=station_id, granted_by=granted_by, name=name, phone=phone
        )
    assert manager is not None
    return manager


@transaction.atomic
def manager_revoke(*, user_id: int, station_id: int) -> bool:
    """The user no longer runs the station; ``False`` when they did not. Their last station gone,
    they lose the admin too (unless they are a superuser or hold Django permissions of their own);
    their record (name, phone) stays for the history of who was told what."""
    user = _lock_user(user_id)
    deleted, _ = ManagedStation.objects.filter(manager__user_id=user_id, station_id=station_id).delete()
    if not deleted:
        return False
    recheck_sockets_on_commit([user_id])  # a socket on the station's feed closes 4403
    left = ManagedStation.objects.filter(manager__user_id=user_id).exists()
    keeps_admin = user.is_superuser or user.user_permissions.exists() or user.groups.exists()
    if not left and user.is_staff and not keeps_admin:
        User.objects.filter(pk=user.pk).update(is_staff=False)
    return True


def manager_set_stations(
    *, user_id: int, station_ids: Iterable[int], granted_by: int | None = None
) -> tuple[list[int], list[int]]:
    """Make the manager's stations exactly ``station_ids`` (the admin's change page); returns the
    stations granted and revoked, each through ``manager_grant``/``manager_revoke``."""
    wanted = set(station_ids)
    with transaction.atomic():
        _lock_user(user_id)
        have = set(
            ManagedStation.objects.filter(manager__user_id=user_id).values_list("station_id", flat=True)
        )
        granted = sorted(wanted - have)
        revoked = sorted(have - wanted)
        for station_id in granted:
            manager_grant(user_id=user_id, station_id=station_id, granted_by=granted_by)
        for station_id in revoked:
            manager_revoke(user_id=user_id, station_id=station_id)
    return granted, revoked
