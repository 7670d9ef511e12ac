"""Search, the shipment page, the audited unmask, a proposed time and the proof images."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client
from pytest_django import Settings

from backend.couriers.models import Courier, Station
from backend.exceptions.models import ContactReveal
from backend.negotiation.models import Negotiation
from backend.negotiation.states import Trigger
from tests.backend.console.conftest import NOW
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person
from tests.fixtures.proofs import delivered_with_signature, signature_png

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def test_search_by_tracking_number_phone_suffix_and_address_within_the_station(
    client: Client, station: Station, other_station: Station, supervisor: Person, other_supervisor: Person
) -> None:
    mine = make_job(
        station, supervisor.ctx, recipient_phone="13900001234", recipient_address="杭州市西湖区古墩路88号"
    )
    theirs = make_job(other_station, other_supervisor.ctx, recipient_phone="13900001234")
    client.force_login(supervisor.user)
    url = f"/console/{station.code}/search/"
    for q, by in (
        (mine.shipment.tracking_no, "tracking_no"),
        ("1234", "phone_suffix"),
        ("古墩路", "address"),
    ):
        html = client.get(url, {"q": q}).content.decode()
        assert f'data-by="{by}"' in html and mine.shipment.tracking_no in html, q
        assert f">{theirs.shipment.tracking_no}</a>" not in html
        assert "13900001234" not in html and "古墩路88号" not in html  # masked in the results
    answer = client.get(url, {"q": theirs.shipment.tracking_no}).content.decode()
    assert f">{theirs.shipment.tracking_no}</a>" not in answer and 'class="hit"' not in answer


def test_the_shipment_page_shows_history_proof_image_and_masked_contacts(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job, sha = delivered_with_signature(station, supervisor, courier)
    client.force_login(supervisor.user)
    html = client.get(f"/console/{station.code}/shipments/{job.shipment.tracking_no}/").content.decode()
    assert f'/console/{station.code}/media/{sha}"' in html and 'class="proof-image"' in html
    assert 'data-kind="delivered"' in html and 'data-kind="station_in"' in html
    assert "139****5678" in html and "13912345678" not in html
    image = client.get(f"/console/{station.code}/media/{sha}")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content) == signature_png()  # type: ignore[attr-defined]


def test_another_stations_shipment_and_images_are_404(
    client: Client, station: Station, other_station: Station, supervisor: Person, other_supervisor: Person
) -> None:
    from tests.fixtures.people import make_courier

    job, sha = delivered_with_signature(other_station, other_supervisor, make_courier(other_station))
    client.force_login(supervisor.user)
    tn = job.shipment.tracking_no
    assert client.get(f"/console/{station.code}/shipments/{tn}/").status_code == 404
    assert client.get(f"/console/{station.code}/media/{sha}").status_code == 404
    assert client.get(f"/console/{other_station.code}/shipments/{tn}/").status_code == 404
    assert client.get(f"/console/{station.code}/media/not-a-sha").status_code == 404


def test_unmasking_needs_a_reason_shows_the_value_once_and_is_in_the_audit_trail(
    client: Client, station: Station, supervisor: Person
) -> None:
    job = make_job(station, supervisor.ctx)
    client.force_login(supervisor.user)
    url = f"/console/{station.code}/shipments/{job.shipment.tracking_no}/"
    refused = client.post(url + "reveal", {"field": "recipient_phone", "reason": ""})
    assert refused.status_code == 400 and "13912345678" not in refused.content.decode()
    shown = client.post(
        url + "reveal", {"field": "recipient_phone", "reason": "courier cannot find the door"}
    )
    html = shown.content.decode()
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    assert "+8613912345678" in html and "courier cannot find the door" in html
    assert ContactReveal.objects.get().revealed_by_id == supervisor.user.pk
    assert "13912345678" not in client.get(url).content.decode()


def test_a_supervisor_proposes_a_time_in_station_time(
    client: Client, station: Station, supervisor: Person
) -> None:
    job = make_job(station, supervisor.ctx)
    client.force_login(supervisor.user)
    url = f"/console/{station.code}/shipments/{job.shipment.tracking_no}/propose"
    start = (NOW + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M")  # NOW is in the station's zone
    end = (NOW + timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")
    answer = client.post(url, {"job": job.pk, "start": start, "end": end})
    assert answer.status_code == 302, answer.content
    n = Negotiation.objects.get(job_id=job.pk)
    assert n.trigger == Trigger.SUPERVISOR and n.created_by_id == supervisor.user.pk
    proposed = n.option("proposed") or {}
    assert datetime.fromisoformat(str(proposed["window_start"])) == NOW + timedelta(hours=4)
    past = (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(url, {"job": job.pk, "start": past, "end": start})
    assert refused.status_code == 400 and 'data-code="invalid_time_window"' in refused.content.decode()
