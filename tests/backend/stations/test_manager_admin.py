"""The admin as a station manager sees it: their stations' records only, opening stations (add and
import) makes them theirs, and a superuser grants and revokes the role through the services."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from backend.accounts.roles import principal_of
from backend.couriers.models import Courier, Station, Supervisor, Zone
from backend.stations.models import StationManager
from tests.backend.stations.helpers import GOOD
from tests.fixtures.people import Person, make_courier, make_manager

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
NEW_STATION = {
    "code": "NBYZ",
    "name": "宁波鄞州站",
    "address": "宁波市鄞州区天童南路1号",
    "lat": "29.8170",
    "lng": "121.5470",
    "time_zone": "Asia/Shanghai",
    "phone": "",
}


@pytest.fixture
def manager(station: Station) -> Person:
    return make_manager(station)


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person.user)
    return client


def test_a_manager_sees_and_changes_their_stations_records_only(
    station: Station, other_station: Station, manager: Person
) -> None:
    mine, _ = make_courier(station)
    theirs, _ = make_courier(other_station)
    browser = signed_in(manager)

    stations = browser.get(reverse("admin:couriers_station_changelist"))
    assert stations.status_code == 200
    assert [s.pk for s in stations.context["cl"].result_list] == [station.pk]
    couriers = browser.get(reverse("admin:couriers_courier_changelist"))
    assert [c.pk for c in couriers.context["cl"].result_list] == [mine.pk]
    assert browser.get(reverse("admin:couriers_courier_change", args=[mine.pk])).status_code == 200
    # Another station's courier is "not there": the admin redirects with "doesn't exist".
    other = browser.get(reverse("admin:couriers_courier_change", args=[theirs.pk]))
    assert other.status_code == 302
    assert browser.get(reverse("admin:couriers_station_change", args=[other_station.pk])).status_code == 302
    form = browser.get(reverse("admin:couriers_zone_add")).context["adminform"].form
    assert list(form.fields["station"].queryset) == [station]
    assert list(form.fields["courier"].queryset) == [mine]


def test_a_manager_cannot_put_staff_at_another_station(
    station: Station, other_station: Station, manager: Person
) -> None:
    browser = signed_in(manager)
    form = {
        "station": other_station.pk,
        "name": "外站主管",
        "username": "intruder",
        "password": "long-enough-1",
    }

    response = browser.post(reverse("admin:couriers_supervisor_add"), form)

    assert response.status_code == 200 and "station" in response.context["adminform"].form.errors
    assert not Supervisor.objects.filter(name="外站主管").exists()
    ok = browser.post(reverse("admin:couriers_supervisor_add"), form | {"station": station.pk})
    assert ok.status_code == 302 and Supervisor.objects.get(name="外站主管").station == station
    zone = {
        "station": station.pk,
        "code": "Z9",
        "name": "九区",
        "address_prefixes": '["滨江区"]',
        "postcodes": "[]",
    }
    assert browser.post(reverse("admin:couriers_zone_add"), zone).status_code == 302
    assert Zone.objects.filter(station=station, code="Z9").exists()


def test_a_station_a_manager_opens_is_theirs(station: Station, manager: Person) -> None:
    browser = signed_in(manager)

    assert browser.post(reverse("admin:couriers_station_add"), NEW_STATION).status_code == 302

    opened = Station.objects.get(code="NBYZ")
    assert principal_of(manager.user).managed_station_ids == {station.pk, opened.pk}
    page = reverse("admin:couriers_station_import")
    uploads = [
        SimpleUploadedFile(p.name, p.read_bytes(), "text/csv") for p in sorted(Path(GOOD).glob("*.csv"))
    ]
    with time_machine.travel(AT, tick=False):
        done = browser.post(page, {"uploads": uploads})
    assert done.status_code == 200 and done.context["report"].applied
    imported = Station.objects.get(code="HZBJ")
    assert imported.pk in principal_of(manager.user).managed_station_ids
    assert Courier.objects.filter(station=imported).count() == 30


def test_a_supervisor_or_plain_staff_gets_nothing_new(supervisor: Person) -> None:
    supervisor.user.is_staff = True
    supervisor.user.save(update_fields=["is_staff"])
    browser = signed_in(supervisor)
    assert browser.get(reverse("admin:couriers_courier_changelist")).status_code == 403
    assert browser.get(reverse("admin:stations_stationmanager_changelist")).status_code == 403


def test_a_superuser_makes_and_unmakes_station_managers(
    admin: Person, station: Station, other_station: Station, supervisor: Person
) -> None:
    browser = signed_in(admin)
    add = reverse("admin:stations_stationmanager_add")
    form = {
        "username": "hz-area",
        "password": "long-enough-1",
        "name": "区域站长",
        "phone": "13905710008",
        "station_set": [station.pk, other_station.pk],
    }
    assert browser.post(add, form).status_code == 302
    manager = StationManager.objects.get(user__username="hz-area")
    assert principal_of(manager.user).managed_station_ids == {station.pk, other_station.pk}
    assert manager.user.is_staff

    # Promote the supervisor: an existing user keeps their password.
    promote = {"username": supervisor.user.username, "name": "升任站长", "phone": "13905710009"}
    refused = browser.post(add, promote | {"password": "long-enough-2", "station_set": [station.pk]})
    assert refused.status_code == 200 and "password" in refused.context["adminform"].form.errors
    assert browser.post(add, promote | {"station_set": [other_station.pk]}).status_code == 302
    promoted = User.objects.get(pk=supervisor.user.pk)  # the fixture's user cached "no manager"
    assert principal_of(promoted).managed_station_ids == {other_station.pk}
    assert principal_of(promoted).station_ids == {station.pk, other_station.pk}

    change = reverse("admin:stations_stationmanager_change", args=[manager.pk])
    kept = {"name": "区域站长", "phone": "13905710008", "station_set": [other_station.pk]}
    assert browser.post(change, kept).status_code == 302
    assert principal_of(manager.user).managed_station_ids == {other_station.pk}
    assert browser.get(reverse("admin:stations_stationmanager_changelist")).status_code == 200


def test_a_manager_publishes_their_stations_tariff_book_from_a_file(
    station: Station, other_station: Station, manager: Person
) -> None:
    from backend.pickup.models import TariffBookVersion

    browser = signed_in(manager)
    page = reverse("admin:pickup_tariffbookversion_publish")
    assert page in browser.get(reverse("admin:pickup_tariffbookversion_changelist")).content.decode()
    good = (Path(GOOD) / "tariffs.csv").read_bytes()

    def publish(to: Station, content: bytes, **extra: str) -> object:
        upload = SimpleUploadedFile("资费2027.csv", content, "text/csv")
        with time_machine.travel(AT, tick=False):
            return browser.post(page, {"station": to.pk, "upload": upload, **extra})

    elsewhere = publish(other_station, good)
    assert elsewhere.status_code == 200 and "station" in elsewhere.context["form"].errors  # type: ignore[attr-defined]
    dry = publish(station, good, dry_run="on")
    assert dry.context["report"].ok and not TariffBookVersion.objects.exists()  # type: ignore[attr-defined]
    bad = good.replace(
        b"\xe6\xb5\x99\xe6\xb1\x9f,standard,1000,800", b"\xe6\xb5\x99\xe6\xb1\x9f,standard,1000,-1", 1
    )
    refused = publish(station, bad)
    assert [(e.line, e.field) for e in refused.context["report"].errors] == [(2, "first_price_fen")]  # type: ignore[attr-defined]
    done = publish(station, good)
    assert done.context["report"].version == 1  # type: ignore[attr-defined]
    book = TariffBookVersion.objects.get(station=station)
    assert (book.origin, book.published_by_id) == (station.code, manager.user.pk)
