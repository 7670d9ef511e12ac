"""The services that change what a person may see ring that person's sockets, after commit and only
then (accounts.sockets); what the sockets do with the ring: tests/backend/realtime/test_access_revocation.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from backend.accounts import sockets
from backend.accounts.services import user_set_active
from backend.common.errors import DomainError
from backend.couriers import services
from backend.couriers.models import Courier, Station, Supervisor
from backend.stations.services.managers import manager_grant, manager_revoke, manager_set_stations
from tests.fixtures.people import Person, make_manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def rung(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The groups each ring went to (the channel layer itself is the realtime tests' business)."""
    calls: list[list[str]] = []
    monkeypatch.setattr(sockets, "_ring", lambda groups, message: calls.append(list(groups)))
    return calls


def _after_commit(capture: Any, call: Callable[[], object], rung: list[list[str]]) -> list[list[str]]:
    before = len(rung)
    with capture(execute=True):
        call()
        assert len(rung) == before, "rung inside the transaction: a socket would read the old access"
    return rung


def _sup(person: Person) -> Supervisor:
    return Supervisor.objects.get(user=person.user)


def test_moving_a_supervisor_rings_them_and_renaming_does_not(
    station: Station,
    other_station: Station,
    supervisor: Person,
    rung: list[list[str]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    sup = _sup(supervisor)
    _after_commit(
        django_capture_on_commit_callbacks,
        lambda: services.supervisor_update(
            supervisor_id=sup.pk, changes={"name": " 王站长 ", "station": station}
        ),
        rung,
    )
    assert rung == [] and Supervisor.objects.values_list("name", "station_id").get(pk=sup.pk) == (
        "王站长",
        station.pk,
    )
    _after_commit(
        django_capture_on_commit_callbacks,
        lambda: services.supervisor_update(supervisor_id=sup.pk, changes={"station": other_station.pk}),
        rung,
    )
    assert rung == [[f"user.{supervisor.user.pk}"]]
    assert Supervisor.objects.get(pk=sup.pk).station_id == other_station.pk


@pytest.mark.parametrize(
    ("changes", "code"),
    [({"user": 1}, "invalid"), ({"name": "  "}, "invalid"), ({"station": 10**9}, "not_found")],
)
def test_a_supervisor_update_refuses(
    supervisor: Person, rung: list[list[str]], changes: dict[str, object], code: str
) -> None:
    with pytest.raises(DomainError) as err:
        services.supervisor_update(supervisor_id=_sup(supervisor).pk, changes=changes)
    assert err.value.code == code
    assert rung == []


def test_deleting_a_supervisor_rings_them_and_keeps_the_user(
    supervisor: Person, rung: list[list[str]], django_capture_on_commit_callbacks: Any
) -> None:
    sup = _sup(supervisor)
    _after_commit(
        django_capture_on_commit_callbacks, lambda: services.supervisor_delete(supervisor_id=sup.pk), rung
    )
    assert rung == [[f"user.{supervisor.user.pk}"]]
    assert (
        not Supervisor.objects.filter(pk=sup.pk).exists()
        and User.objects.filter(pk=supervisor.user.pk).exists()
    )


def test_moving_a_courier_rings_them(
    other_station: Station,
    courier: tuple[Courier, Person],
    rung: list[list[str]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    c, person = courier
    _after_commit(
        django_capture_on_commit_callbacks,
        lambda: services.courier_update(courier_id=c.pk, changes={"name": "新名"}),
        rung,
    )
    assert rung == []
    _after_commit(
        django_capture_on_commit_callbacks,
        lambda: services.courier_update(courier_id=c.pk, changes={"station": other_station}),
        rung,
    )
    assert rung == [[f"user.{person.user.pk}"]]


def test_a_managers_grant_and_revoke_ring_them_once_each(
    station: Station, other_station: Station, rung: list[list[str]], django_capture_on_commit_callbacks: Any
) -> None:
    boss = make_manager(station)
    uid = boss.user.pk
    _after_commit(
        django_capture_on_commit_callbacks, lambda: manager_grant(user_id=uid, station_id=station.pk), rung
    )
    assert rung == []  # granted already: nothing changed
    _after_commit(
        django_capture_on_commit_callbacks,
        lambda: manager_set_stations(user_id=uid, station_ids=[other_station.pk]),
        rung,
    )
    assert rung == [[f"user.{uid}"], [f"user.{uid}"]]
    rung.clear()
    assert not manager_revoke(user_id=uid, station_id=station.pk)
    assert rung == []


def test_deactivating_a_user_rings_them_once(
    supervisor: Person, rung: list[list[str]], django_capture_on_commit_callbacks: Any
) -> None:
    uid = supervisor.user.pk
    _after_commit(
        django_capture_on_commit_callbacks, lambda: user_set_active(user_id=uid, active=False), rung
    )
    _after_commit(
        django_capture_on_commit_callbacks, lambda: user_set_active(user_id=uid, active=False), rung
    )
    assert rung == [[f"user.{uid}"]]
    assert not User.objects.get(pk=uid).is_active


def test_the_admin_moves_and_deletes_supervisors_through_the_services(
    admin: Person,
    other_station: Station,
    supervisor: Person,
    rung: list[list[str]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    browser = Client()
    browser.force_login(admin.user)
    sup = _sup(supervisor)
    change = reverse("admin:couriers_supervisor_change", args=[sup.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(change, {"station": other_station.pk, "name": sup.name})
    assert response.status_code == 302
    assert Supervisor.objects.get(pk=sup.pk).station_id == other_station.pk
    delete = reverse("admin:couriers_supervisor_delete", args=[sup.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert browser.post(delete, {"post": "yes"}).status_code == 302
    assert not Supervisor.objects.filter(pk=sup.pk).exists()
    assert rung == [[f"user.{supervisor.user.pk}"]] * 2


def test_the_user_admins_deactivate_action_rings_the_people(
    admin: Person, supervisor: Person, rung: list[list[str]], django_capture_on_commit_callbacks: Any
) -> None:
    browser = Client()
    browser.force_login(admin.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            reverse("admin:auth_user_changelist"),
            {"action": "deactivate", "_selected_action": [str(supervisor.user.pk)]},
        )
    assert response.status_code == 302
    assert not User.objects.get(pk=supervisor.user.pk).is_active
    assert rung == [[f"user.{supervisor.user.pk}"]]
