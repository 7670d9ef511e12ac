"""A lane's "more" button: the next page of its cards, and the board page's stops for every job."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from backend.console.board import LANE_PAGE
from backend.couriers.models import Station
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def _cards(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article [^>]*data-job="(\d+)"', html)]


def test_the_board_renders_a_lane_s_first_page_and_every_stop_and_more_gives_the_rest(
    client: Client, station: Station, supervisor: Person
) -> None:
    jobs = [make_job(station, supervisor.ctx) for _ in range(LANE_PAGE + 2)]
    client.force_login(supervisor.user)
    html = client.get(f"/console/{station.code}/").content.decode()
    assert _cards(html) == [j.pk for j in jobs[:LANE_PAGE]]
    assert 'data-more="unassigned">2 ' in html  # "2 more…" in the page's language
    stops = json.loads(re.search(r'id="board-stops" type="application/json">(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    assert [s[0] for s in stops] == [j.pk for j in jobs] and {s[1] for s in stops} == {"unassigned"}
    more = client.get(f"/console/{station.code}/lane", {"lane": "unassigned", "offset": LANE_PAGE})
    assert more.status_code == 200 and _cards(more.content.decode()) == [j.pk for j in jobs[LANE_PAGE:]]


@pytest.mark.parametrize("query", [{"lane": "courier-x", "offset": 0}, {"lane": "held", "offset": -1}, {}])
def test_a_bad_lane_query_is_a_400(
    client: Client, station: Station, supervisor: Person, query: dict[str, object]
) -> None:
    client.force_login(supervisor.user)
    assert client.get(f"/console/{station.code}/lane", query).status_code == 400


def test_another_station_s_lane_is_a_404(
    client: Client, station: Station, other_station: Station, supervisor: Person
) -> None:
    client.force_login(supervisor.user)
    answer = client.get(f"/console/{other_station.code}/lane", {"lane": "unassigned", "offset": 0})
    assert answer.status_code == 404
