"""An incident on the console's exceptions page, in the supervisor's language (Chinese by default)."""

from __future__ import annotations

import pytest
from django.test import Client

from backend.couriers.models import Station
from backend.incidents.services import incident_raise
from tests.backend.incidents.conftest import incident_input
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def test_an_open_incident_is_on_the_exceptions_page(station: Station, supervisor: Person) -> None:
    job = make_job(station, supervisor.ctx)
    incident = incident_raise(
        station_id=station.pk, data=incident_input("loss", job_id=job.pk), ctx=supervisor.ctx
    )
    client = Client()
    client.force_login(supervisor.user)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/console/{station.code}/exceptions/", {"kind": "incident"}).content.decode()
    assert 'data-kind="incident"' in html and f"incident:{incident.pk}:raised" in html
    assert "异常件与理赔" in html and "丢失 Loss" in html and "主管" in html
    assert job.shipment.tracking_no in html
