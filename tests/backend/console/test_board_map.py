"""The board's map data: stops, planned order and courier positions ride on the board's own rows."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from backend.console.board import lane_key
from backend.console.selectors import station_board
from backend.couriers.models import Courier, Station
from backend.locations.services import location_record
from backend.shipments.services import job_assign
from backend.shipments.services.planning import job_set_plan
from tests.backend.console.conftest import NOW
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person, make_courier

pytestmark = pytest.mark.django_db


def _board(client: Client, station: Station) -> str:
    return client.get(f"/console/{station.code}/").content.decode()


def test_the_page_carries_each_stop_its_planned_place_and_each_courier_s_last_position(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx, recipient_lat=30.2912345, recipient_lng=120.1456789)
    job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    location_record(ctx=courier[1].ctx, lat=30.281, lng=120.131, accuracy_m=5.0, recorded_at=NOW)
    client.force_login(supervisor.user)
    html = _board(client, station)
    card = re.search(rf'<article [^>]*data-job="{job.pk}"[^>]*>', html)
    assert card is not None
    assert 'data-lat="30.291235"' in card.group(0) and 'data-lng="120.145679"' in card.group(0)
    head = re.search(rf'<header [^>]*data-courier="{courier[0].pk}"[^>]*>', html)
    assert head is not None
    assert 'data-lat="30.281000"' in head.group(0) and 'data-lng="120.131000"' in head.group(0)
    assert f'data-emp="{courier[0].employee_no}"' in head.group(0)
    # The depot, the vendored Leaflet and the map script; no tile server unless one is configured.
    assert 'id="map" data-lat="30.280000" data-lng="120.130000" data-tile-url=""' in html
    assert "vendor/leaflet-1.9.4/leaflet.js" in html and "console/map.js" in html


def test_a_station_with_its_own_tile_server_gets_it_on_the_map(
    client: Client, station: Station, supervisor: Person
) -> None:
    client.force_login(supervisor.user)
    with override_settings(
        CONSOLE_TILE_URL="http://tiles.station.lan/{z}/{x}/{y}.png", CONSOLE_TILE_ATTRIBUTION="© OSM"
    ):
        html = _board(client, station)
    assert 'data-tile-url="http://tiles.station.lan/{z}/{x}/{y}.png"' in html
    assert 'data-tile-attribution="© OSM"' in html


def test_a_job_without_coordinates_has_a_card_but_no_stop(
    client: Client, station: Station, supervisor: Person
) -> None:
    job = make_job(station, supervisor.ctx, recipient_lat=None, recipient_lng=None)
    client.force_login(supervisor.user)
    card = re.search(rf'<article [^>]*data-job="{job.pk}"[^>]*>', _board(client, station))
    assert card is not None and "data-lat" not in card.group(0)


def _page_queries(client: Client, station: Station) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        html = _board(client, station)
    return len(queries), html


def test_the_board_page_with_its_map_takes_the_same_number_of_queries_whatever_its_size(
    client: Client, station: Station, supervisor: Person
) -> None:
    couriers = [make_courier(station) for _ in range(3)]
    for _, person in couriers:
        location_record(ctx=person.ctx, lat=30.285, lng=120.135, accuracy_m=5.0, recorded_at=NOW)
    client.force_login(supervisor.user)
    _board(client, station)  # warm: whatever a first request caches is not the board's cost
    counts = []
    for n_jobs in (3, 40):
        for k in range(n_jobs - (3 if n_jobs == 40 else 0)):
            job = make_job(station, supervisor.ctx, recipient_lat=30.29 + k / 1000, recipient_lng=120.14)
            if k % 4:
                job_assign(job_id=job.pk, courier_id=couriers[k % 3][0].pk, ctx=supervisor.ctx)
        count, html = _page_queries(client, station)
        assert html.count("<article ") == n_jobs and html.count(' data-lat="30.') == n_jobs + 3 + 1
        counts.append(count)
    assert counts[0] == counts[1]


def test_the_lane_head_shows_how_far_the_next_stop_is_past_its_planned_eta(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    first = job_assign(
        job_id=make_job(station, supervisor.ctx).pk, courier_id=courier[0].pk, ctx=supervisor.ctx
    )
    later = job_assign(
        job_id=make_job(station, supervisor.ctx).pk, courier_id=courier[0].pk, ctx=supervisor.ctx
    )
    job_set_plan(job_id=first.pk, planned_seq=0, eta=NOW - timedelta(minutes=25), ctx=supervisor.ctx)
    job_set_plan(job_id=later.pk, planned_seq=1, eta=NOW + timedelta(minutes=30), ctx=supervisor.ctx)
    lane = station_board(station=station, now=NOW).lane(lane_key(courier[0].pk))
    assert lane is not None and (lane.next_eta, lane.drift_min) == (NOW - timedelta(minutes=25), 25)
    client.force_login(supervisor.user)
    head = re.search(r'<div class="drift behind" data-drift="25">([^<]*)</div>', _board(client, station))
    assert head is not None and "25" in head.group(1)
    job_set_plan(job_id=first.pk, planned_seq=0, eta=NOW + timedelta(minutes=5), ctx=supervisor.ctx)
    lane = station_board(station=station, now=NOW).lane(lane_key(courier[0].pk))
    assert lane is not None and lane.drift_min == 0
