"""The root URL is the console's login for station staff, with the links a newcomer needs."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.couriers.models import Station
from tests.fixtures.people import Person, make_manager, make_station

pytestmark = pytest.mark.django_db


def test_the_root_answers_the_login_with_links_to_the_api_docs(client: Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert 'href="/api/docs/"' in html and 'href="/api/schema/"' in html
    assert "csrfmiddlewaretoken" in html


def test_a_supervisor_logs_in_and_lands_on_their_station_board(
    client: Client, station: Station, supervisor: Person
) -> None:
    answer = client.post("/", {"username": supervisor.user.username, "password": "super-pass-1"})
    assert answer.status_code == 302 and answer["Location"] == "/console/"
    home = client.get("/console/")
    assert home.status_code == 302 and home["Location"] == f"/console/{station.code}/"
    assert client.get("/").status_code == 302  # already in: the front door sends them on


def test_an_admin_picks_a_station(
    client: Client, station: Station, other_station: Station, admin: Person
) -> None:
    client.post("/", {"username": admin.user.username, "password": "admin-pass-1"})
    page = client.get("/console/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/console/{station.code}/"' in html and f'href="/console/{other_station.code}/"' in html


def test_a_manager_of_one_station_lands_on_its_board_and_of_several_picks_among_theirs(
    client: Client, station: Station, other_station: Station
) -> None:
    third = make_station()
    one = make_manager(station)
    client.force_login(one.user)
    home = client.get("/console/")
    assert home.status_code == 302 and home["Location"] == f"/console/{station.code}/"
    several = make_manager(station, other_station)
    client.force_login(several.user)
    page = client.get("/console/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="/console/{station.code}/"' in html and f'href="/console/{other_station.code}/"' in html
    assert f'href="/console/{third.code}/"' not in html  # not theirs: not even listed
    assert client.get(f"/console/{other_station.code}/").status_code == 200
    assert client.get(f"/console/{third.code}/").status_code in (403, 404)


def test_a_courier_cannot_log_in_to_the_console(client: Client, courier: tuple[object, Person]) -> None:
    answer = client.post("/", {"username": courier[1].user.username, "password": "courier-pass-1"})
    assert answer.status_code == 200
    assert "快递员请使用手持终端应用" in answer.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_is_refused(client: Client, supervisor: Person) -> None:
    answer = client.post("/", {"username": supervisor.user.username, "password": "nope"})
    assert answer.status_code == 200 and "_auth_user_id" not in client.session


def test_every_post_needs_the_csrf_token(supervisor: Person) -> None:
    strict = Client(enforce_csrf_checks=True)
    answer = strict.post("/", {"username": supervisor.user.username, "password": "super-pass-1"})
    assert answer.status_code == 403
    strict.force_login(supervisor.user)
    assert strict.post("/console/logout/").status_code == 403


def test_logging_out_is_a_post_and_ends_the_session(client: Client, supervisor: Person) -> None:
    client.force_login(supervisor.user)
    assert client.get("/console/logout/").status_code == 405
    assert client.post("/console/logout/").status_code == 302
    assert client.get("/console/").status_code == 302 and "_auth_user_id" not in client.session


def test_pages_need_a_login(client: Client, station: Station) -> None:
    answer = client.get(f"/console/{station.code}/")
    assert answer.status_code == 302 and answer["Location"].startswith("/?next=")


def test_the_console_speaks_chinese_by_default_and_english_by_the_user_s_choice(client: Client) -> None:
    assert "站点控制台" in client.get("/").content.decode()
    answer = client.post("/console/i18n/setlang/", {"language": "en", "next": "/"})
    assert answer.status_code == 302 and answer["Location"] == "/"
    html = client.get("/").content.decode()
    assert "Station console" in html and '<html lang="en">' in html
