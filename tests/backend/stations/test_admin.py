"""Opening a station in the admin: the add page goes through ``couriers.services.station_create``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from backend.accounts.roles import Role, principal_of
from backend.couriers.models import Courier, Station, Supervisor
from tests.backend.stations.helpers import BAD, GOOD, counts
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db
AT = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
FORM = {
    "code": "NBYZ",
    "name": "宁波鄞州站",
    "address": "宁波市鄞州区天童南路1号",
    "lat": "29.8170",
    "lng": "121.5470",
    "time_zone": "Asia/Shanghai",
    "phone": "0574-88886666",
}


@pytest.fixture
def browser(admin: Person) -> Client:
    client = Client()
    client.force_login(admin.user)
    return client


def test_an_admin_opens_a_station_and_gives_it_a_supervisor(browser: Client) -> None:
    response = browser.post(reverse("admin:couriers_station_add"), FORM)

    assert response.status_code == 302
    station = Station.objects.get(code="NBYZ")
    assert (station.name, station.phone, station.lat, station.time_zone) == (
        "宁波鄞州站",
        "0574-88886666",
        29.817,
        "Asia/Shanghai",
    )
    form = {"station": station.pk, "name": "钱站长", "username": "nbyz-qian", "password": "long-enough-1"}
    assert browser.post(reverse("admin:couriers_supervisor_add"), form).status_code == 302
    principal = principal_of(Supervisor.objects.get(user__username="nbyz-qian").user)
    assert (principal.role, principal.station_id) == (Role.SUPERVISOR, station.pk)


def test_a_bad_station_is_shown_back_with_its_fields_and_not_created(browser: Client) -> None:
    bad = FORM | {"code": "NB YZ", "time_zone": "Asia/Ningbo", "phone": "12345", "lat": "95"}

    response = browser.post(reverse("admin:couriers_station_add"), bad)

    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"code", "time_zone", "phone", "lat"}
    assert not Station.objects.exists()
    response = browser.post(reverse("admin:couriers_station_add"), FORM | {"lat": "95"})
    assert response.status_code == 200
    assert set(response.context["adminform"].form.errors) == {"lat"}
    assert not Station.objects.exists()


def _uploads(folder: Path) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(p.name, p.read_bytes(), "text/csv") for p in sorted(folder.glob("*.csv"))]


def test_the_import_page_dry_runs_then_imports_and_shows_the_passwords_once(browser: Client) -> None:
    page = reverse("admin:couriers_station_import")
    assert page in browser.get(reverse("admin:couriers_station_changelist")).content.decode()
    assert browser.get(page).status_code == 200
    nothing = browser.post(page, {"dry_run": "on"})
    assert nothing.status_code == 200 and set(nothing.context["form"].errors) == {"uploads"}
    wrong = browser.post(page, {"uploads": [SimpleUploadedFile("roster.txt", b"x")]})
    assert wrong.context["form"].errors["uploads"] == [
        "roster.txt: only .csv and .xlsx files can be imported"
    ]
    before = counts()

    dry = browser.post(page, {"uploads": _uploads(GOOD), "dry_run": "on"})

    assert dry.status_code == 200 and "no-store" in dry["Cache-Control"]
    assert dry.context["report"].ok and counts() == before
    assert "would create station HZBJ" in dry.content.decode().replace("Would", "would")

    with time_machine.travel(AT, tick=False):
        done = browser.post(page, {"uploads": _uploads(GOOD)})

    assert done.context["report"].applied
    assert Courier.objects.filter(station__code="HZBJ").count() == 30
    html = done.content.decode()
    assert html.count('class="credential"') == 31
    first = done.context["generated"][0]
    assert (first.login, f"<code>{first.password}</code>" in html) == ("hzbj-li", True)


def test_the_import_page_lists_every_bad_row_and_changes_nothing(browser: Client) -> None:
    before = counts()

    response = browser.post(reverse("admin:couriers_station_import"), {"uploads": _uploads(BAD)})

    assert response.context["report"].errors and counts() == before
    html = response.content.decode()
    assert html.count('class="onboard-error"') == 14
    assert "<td>couriers.csv</td><td>3</td><td>phone</td>" in html


def test_a_supervisor_without_the_add_permission_cannot_import(supervisor: Person) -> None:
    supervisor.user.is_staff = True
    supervisor.user.save(update_fields=["is_staff"])
    client = Client()
    client.force_login(supervisor.user)

    response = client.post(reverse("admin:couriers_station_import"), {"uploads": _uploads(GOOD)})

    assert response.status_code == 403
    assert not Station.objects.filter(code="HZBJ").exists()
