"""A customer's complaint from the customer's page: the form, one incident per link and type,
the answer date on the legal clock, and a bad link."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from backend.couriers.models import Station
from backend.incidents.models import Incident
from backend.incidents.states import IncidentType, Source
from backend.negotiation.links import link_issue
from tests.clock import station_tz
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 9, 30, 20, 0, tzinfo=ZoneInfo(station_tz()))  # the eve of National Day


def test_a_customer_complains_from_the_page_once_per_type(station: Station, supervisor: Person) -> None:
    with time_machine.travel(NOW, tick=False):
        job = make_job(station, supervisor.ctx)
        token, _, _ = link_issue(negotiation_id=1, shipment_id=job.shipment_id, now=NOW)
        client = Client()
        page = client.get(f"/n/{token}/complaint?lang=en")
        assert page.status_code == 200 and b"What went wrong?" in page.content
        assert page["Cache-Control"] == "no-store"
        form = {"incident_type": "damage", "description": "the box was crushed", "lang": "en"}
        answer = client.post(f"/n/{token}/complaint", form)
        again = client.post(f"/n/{token}/complaint", form)
    assert answer.status_code == 200 and again.status_code == 200
    [incident] = Incident.objects.all()
    assert (incident.incident_type, incident.source) == (IncidentType.DAMAGE, Source.CUSTOMER)
    assert incident.shipment_id == job.shipment_id and incident.raised_by_id is None
    # 7 working days after Sep 30, National Day week skipped: answered by Oct 15 (inclusive).
    assert b"2026-10-15" in answer.content


def test_an_empty_complaint_or_a_bad_link_is_a_page_not_an_error(
    station: Station, supervisor: Person
) -> None:
    with time_machine.travel(NOW, tick=False):
        job = make_job(station, supervisor.ctx)
        token, _, _ = link_issue(negotiation_id=1, shipment_id=job.shipment_id, now=NOW)
        client = Client()
        empty = client.post(f"/n/{token}/complaint", {"incident_type": "loss", "description": " "})
        wrong_type = client.post(
            f"/n/{token}/complaint", {"incident_type": "vehicle_accident", "description": "x"}
        )
        bad = client.post(f"/n/{token}x/complaint", {"incident_type": "loss", "description": "lost"})
    assert (empty.status_code, wrong_type.status_code, bad.status_code) == (400, 400, 404)
    assert not Incident.objects.exists()
