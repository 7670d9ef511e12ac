"""Station managers (站长): granting and revoking the role, what the principal then is, the token read,
and managers in the onboarding roster (a ``role`` column in the supervisors sheet)."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.accounts.authentication import user_for_key
from backend.accounts.roles import Role, principal_of
from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.stations.models import ManagedStation, StationManager
from backend.stations.services.managers import (
    manager_create,
    manager_grant,
    manager_revoke,
    manager_set_stations,
)
from tests.backend.stations.helpers import GOOD, counts
from tests.fixtures.people import Person, make_manager, make_station

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def test_a_grant_makes_a_supervisor_of_each_station_who_may_manage_them(
    station: Station, other_station: Station
) -> None:
    user = User.objects.create_user("area-zhao", password="long-enough-1")
    manager_grant(user_id=user.pk, station_id=station.pk, name="赵站长", phone="13905710001")

    who = principal_of(fresh(user))
    assert (who.role, who.station_id, who.station_ids) == (Role.SUPERVISOR, station.pk, {station.pk})
    assert who.can_manage_station(station.pk) and not who.can_manage_station(other_station.pk)
    assert fresh(user).is_staff  # they can sign in to the admin
    assert StationManager.objects.get(user=user).phone == "+8613905710001"

    manager_grant(user_id=user.pk, station_id=other_station.pk)  # a later grant needs no name or phone
    manager_grant(user_id=user.pk, station_id=other_station.pk)  # once
    who = principal_of(fresh(user))
    assert who.station_id is None  # several stations: no single one to default to
    assert who.station_ids == who.managed_station_ids == {station.pk, other_station.pk}
    assert who.can_see_station(other_station.pk) and not who.can_see_station(make_station().pk)
    assert ManagedStation.objects.filter(manager__user=user).count() == 2


def test_revoking_the_last_station_takes_the_role_and_the_admin_away(station: Station) -> None:
    manager = make_manager(station)
    assert manager_revoke(user_id=manager.user.pk, station_id=station.pk)
    assert not manager_revoke(user_id=manager.user.pk, station_id=station.pk)  # nothing left to revoke
    user = fresh(manager.user)
    assert principal_of(user).role is Role.NONE and not user.is_staff
    assert StationManager.objects.filter(user=user).exists()  # who was told what stays on record


def test_a_manager_who_is_also_a_supervisor_keeps_their_own_station(
    station: Station, other_station: Station, supervisor: Person
) -> None:
    manager_grant(user_id=supervisor.user.pk, station_id=other_station.pk, name="钱", phone="13905710002")
    who = principal_of(fresh(supervisor.user))
    assert who.station_ids == {station.pk, other_station.pk} and who.managed_station_ids == {other_station.pk}
    assert not who.can_manage_station(station.pk)  # supervising a station is not managing it
    manager_revoke(user_id=supervisor.user.pk, station_id=other_station.pk)
    who = principal_of(fresh(supervisor.user))
    assert (who.role, who.station_id, who.is_manager) == (Role.SUPERVISOR, station.pk, False)


def test_refusals(station: Station, courier: tuple[Courier, Person]) -> None:
    plain = User.objects.create_user("nobody", password="long-enough-1")
    with pytest.raises(DomainError) as exc:
        manager_grant(user_id=plain.pk, station_id=station.pk)  # a first grant needs a name and a phone
    assert exc.value.details["field"] == "name"
    with pytest.raises(DomainError, match="courier"):
        manager_grant(user_id=courier[1].user.pk, station_id=station.pk, name="x", phone="13905710003")
    with pytest.raises(DomainError) as exc:
        manager_grant(user_id=plain.pk, station_id=10**9, name="x", phone="13905710003")
    assert exc.value.code == "not_found"
    with pytest.raises(DomainError) as exc:
        manager_create(
            username="m1", password="short", name="孙", phone="13905710004", station_ids=[station.pk]
        )
    assert exc.value.details["field"] == "password"
    assert not User.objects.filter(username="m1").exists()


def test_set_stations_grants_and_revokes_the_difference(station: Station, other_station: Station) -> None:
    manager = make_manager(station)
    third = make_station()
    granted, revoked = manager_set_stations(user_id=manager.user.pk, station_ids=[other_station.pk, third.pk])
    assert (granted, revoked) == (sorted([other_station.pk, third.pk]), [station.pk])
    assert principal_of(fresh(manager.user)).managed_station_ids == {other_station.pk, third.pk}


def test_the_token_read_joins_the_manager_and_reads_the_stations_in_one_more_query(
    station: Station, other_station: Station
) -> None:
    manager = make_manager(station, other_station)
    with CaptureQueriesContext(connection) as queries:
        found = user_for_key(manager.token)
        assert found is not None
        who = principal_of(found[0])
    assert who.station_ids == {station.pk, other_station.pk}
    assert len(queries) == 2


# --- the roster -------------------------------------------------------------------------------------


def roster(
    tmp_path: Path,
    *rows: list[str],
    header: tuple[str, ...] = ("username", "name", "password", "role", "phone"),
) -> Path:
    folder = tmp_path / "roster"
    shutil.copytree(GOOD, folder)
    with (folder / "supervisors.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
    return folder


def run(folder: Path) -> str:
    out = StringIO()
    with time_machine.travel(AT, tick=False):
        call_command("import_station", str(folder), stdout=out, stderr=StringIO())
    return out.getvalue()


def refused(folder: Path) -> list[str]:
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_station", str(folder), stdout=StringIO(), stderr=err)
    return err.getvalue().splitlines()


def test_the_roster_creates_the_station_manager_beside_its_supervisors(tmp_path: Path) -> None:
    folder = roster(
        tmp_path,
        ["hzbj-wang", "王站长", "Welcome-2026", "站长", "13905710005"],
        ["hzbj-li", "李主管", "", "", ""],
        ["hzbj-zhou", "周主管", "Welcome-2027", "supervisor", "13905710006"],
    )
    out = run(folder)

    assert "2 supervisor(s), 1 manager(s), 30 courier(s)" in out
    station = Station.objects.get(code="HZBJ")
    manager = User.objects.get(username="hzbj-wang")
    who = principal_of(manager)
    assert (who.role, who.station_id, who.managed_station_ids) == (Role.SUPERVISOR, station.pk, {station.pk})
    assert authenticate(username="hzbj-wang", password="Welcome-2026") is not None
    assert StationManager.objects.get(user=manager).phone == "+8613905710005"
    assert principal_of(User.objects.get(username="hzbj-li")).is_manager is False


def test_an_existing_manager_in_the_roster_is_granted_the_new_station(
    tmp_path: Path, other_station: Station
) -> None:
    area = make_manager(other_station)
    folder = roster(tmp_path, [area.user.username, "区域经理", "", "manager", "13905710007"])
    run(folder)
    station = Station.objects.get(code="HZBJ")
    assert principal_of(fresh(area.user)).managed_station_ids == {station.pk, other_station.pk}
    assert StationManager.objects.get(user=area.user).name != "区域经理"  # their record is kept as it was


def test_bad_manager_rows_are_reported_by_line_and_column_and_change_nothing(
    tmp_path: Path, other_station: Station
) -> None:
    area = make_manager(other_station)
    before = counts()
    folder = roster(
        tmp_path,
        ["hzbj-wang", "王站长", "", "boss", ""],  # line 2: unknown role
        ["hzbj-li", "李站长", "", "站长", ""],  # line 3: a manager needs a phone
        [area.user.username, "区域经理", "Welcome-2026", "manager", "13905710007"],  # line 4: existing
    )
    errors = refused(folder)
    assert any("line 2, role" in e and "invalid_role" in e for e in errors), errors
    assert any("line 3, phone" in e and "required" in e for e in errors), errors
    folder = roster(
        tmp_path / "again", [area.user.username, "区域经理", "Welcome-2026", "manager", "13905710007"]
    )
    errors = refused(folder)
    assert any("line 2, password" in e and "existing_manager" in e for e in errors), errors
    assert counts() == before


def test_me_lists_the_stations_a_manager_runs(station: Station, other_station: Station) -> None:
    from rest_framework.test import APIClient

    one = make_manager(station)
    two = make_manager(station, other_station)
    me = APIClient().get("/api/v1/auth/me", **one.auth).json()
    assert (me["role"], me["station"]["code"]) == ("supervisor", station.code)
    assert [s["code"] for s in me["managed_stations"]] == [station.code]
    me = APIClient().get("/api/v1/auth/me", **two.auth).json()
    assert me["station"] is None
    assert [s["code"] for s in me["managed_stations"]] == sorted([station.code, other_station.code])


def test_a_staff_text_carries_only_what_its_template_names() -> None:
    from backend.notify.texts import render_staff

    params = {"station": "HZ01", "incident": "7", "type": "丢失 Loss", "hours": "24", "link": "https://x/y"}
    assert "HZ01" in render_staff("manager_escalation", "zh", params)
    with pytest.raises(DomainError):
        render_staff("manager_escalation", "zh", params | {"name": "李四"})
