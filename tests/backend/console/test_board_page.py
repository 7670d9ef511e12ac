"""The board page and its live refresh: a supervisor's own station only."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.couriers.models import Courier, Station
from backend.shipments.services import job_assign
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def test_the_board_shows_a_lane_per_courier_and_the_cards(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx, cod_amount_fen=1000)
    job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    queued = make_job(station, supervisor.ctx)
    client.force_login(supervisor.user)
    html = client.get(f"/console/{station.code}/").content.decode()
    assert f'data-lane-body="courier-{courier[0].pk}"' in html
    assert f'data-job="{job.pk}"' in html and f'data-job="{queued.pk}"' in html
    assert job.shipment.tracking_no in html and "139****5678" in html and "13912345678" not in html
    assert "Sortable.min.js" in html and 'name="csrfmiddlewaretoken"' in html


def test_a_supervisor_sees_nothing_of_another_station(
    client: Client, station: Station, other_station: Station, supervisor: Person, other_supervisor: Person
) -> None:
    job = make_job(other_station, other_supervisor.ctx)
    client.force_login(supervisor.user)
    assert client.get(f"/console/{other_station.code}/").status_code == 404
    assert client.get(f"/console/{other_station.code}/cards", {"jobs": str(job.pk)}).status_code == 404
    assert client.get("/console/NOSUCH/").status_code == 404
    # Asking one's own board for another station's job shows nothing of it.
    own = client.get(f"/console/{station.code}/cards", {"jobs": str(job.pk)}).content.decode()
    assert f'data-job="{job.pk}"' not in own and job.shipment.tracking_no not in own


def test_an_admin_opens_any_station(client: Client, other_station: Station, admin: Person) -> None:
    client.force_login(admin.user)
    assert client.get(f"/console/{other_station.code}/").status_code == 200


def test_the_refresh_renders_the_asked_cards_and_every_lane_head(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    a, b = make_job(station, supervisor.ctx), make_job(station, supervisor.ctx)
    client.force_login(supervisor.user)
    html = client.get(f"/console/{station.code}/cards", {"jobs": f"{a.pk}"}).content.decode()
    assert f'data-job="{a.pk}"' in html and f'data-job="{b.pk}"' not in html
    assert f'data-lane-head="courier-{courier[0].pk}"' in html
    assert client.get(f"/console/{station.code}/cards", {"jobs": "1,x"}).status_code == 400
