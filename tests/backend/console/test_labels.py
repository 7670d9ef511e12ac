"""Status codes on the console's pages are shown in the supervisor's language, never raw."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from pytest_django import Settings

from backend.console.labels import MESSAGE_IDS, label
from backend.couriers.models import Courier, Station
from backend.shipments.states import EventKind, JobStatus, ShipmentStatus
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person
from tests.fixtures.proofs import delivered_with_signature

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _status(html: str, job_id: int) -> str:
    card = re.search(rf'data-job="{job_id}".*?<span class="status">([^<]*)</span>', html, re.S)
    assert card is not None
    return card.group(1)


@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "未分配"), ("en", "Unassigned")])
def test_a_card_s_status_is_in_the_supervisor_s_language(
    client: Client, station: Station, supervisor: Person, language: str, expected: str
) -> None:
    job = make_job(station, supervisor.ctx)
    client.force_login(supervisor.user)
    client.cookies["django_language"] = language
    assert _status(client.get(f"/console/{station.code}/").content.decode(), job.pk) == expected


def test_the_shipment_page_and_search_say_statuses_and_events_in_chinese(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job, _ = delivered_with_signature(station, supervisor, courier)
    client.force_login(supervisor.user)
    page = client.get(f"/console/{station.code}/shipments/{job.shipment.tracking_no}/").content.decode()
    assert '<span class="status">已签收</span>' in page  # the shipment: delivered
    assert "<td>派送</td><td>已完成</td>" in page  # its job: a delivery, completed
    assert "到达站点" in page and ">delivered<" not in page  # the history's event kinds
    hits = client.get(f"/console/{station.code}/search/", {"q": job.shipment.tracking_no}).content.decode()
    assert "<td>已签收</td>" in hits


def test_every_status_and_event_kind_has_a_chinese_label() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        for choices in (JobStatus, ShipmentStatus, EventKind):
            for value in choices.values:
                assert str(choices(value).label) in MESSAGE_IDS, value
                shown = label(choices, value)
                assert shown != str(choices(value).label) and not shown.isascii(), value
    assert label(JobStatus, "no-such-code") == "no-such-code"
