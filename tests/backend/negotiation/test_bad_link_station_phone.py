"""Bad-link pages say whom to call: the station's name, address and phone (when it has one),
also for an expired link; a tampered link names no station."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from backend.couriers.models import Station
from backend.negotiation.links import link_issue
from backend.negotiation.services import negotiation_cancel
from tests.backend.negotiation.conftest import NOW, offer

pytestmark = pytest.mark.django_db
PHONE = "0571-88886666"


@pytest.fixture(autouse=True)
def fresh_counters() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_a_superseded_link_shows_the_stations_phone(job, supervisor, station) -> None:  # type: ignore[no-untyped-def]
    Station.objects.filter(pk=station.pk).update(phone=PHONE)
    n = offer(job, supervisor.ctx)
    token, _, _ = link_issue(negotiation_id=n.pk, shipment_id=n.shipment_id, now=NOW)
    negotiation_cancel(negotiation_id=n.pk, ctx=supervisor.ctx, reason="phoned instead")
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/n/{token}/").content.decode()
    assert station.name in page and f'href="tel:{PHONE}"' in page


def test_an_expired_link_still_says_which_station_to_call(job, supervisor, station) -> None:  # type: ignore[no-untyped-def]
    Station.objects.filter(pk=station.pk).update(phone=PHONE)
    n = offer(job, supervisor.ctx)
    token, _, _ = link_issue(negotiation_id=n.pk, shipment_id=n.shipment_id, now=NOW)
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        r = Client(HTTP_ACCEPT_LANGUAGE="zh").get(f"/n/{token}/")
    page = r.content.decode()
    assert r.status_code == 410 and "此链接已过期" in page
    assert station.name in page and PHONE in page
    assert job.shipment.tracking_no not in page  # the station only, nothing of the parcel


def test_without_a_phone_the_page_shows_none_and_a_tampered_link_names_no_station(
    job, supervisor, station
) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    token, _, _ = link_issue(negotiation_id=n.pk, shipment_id=n.shipment_id, now=NOW)
    negotiation_cancel(negotiation_id=n.pk, ctx=supervisor.ctx, reason="phoned instead")
    page = Client().get(f"/n/{token}/").content.decode()
    assert station.name in page and "tel:" not in page
    tampered = Client().get(f"/n/{token[:-4]}AAAA/").content.decode()
    assert station.name not in tampered and "tel:" not in tampered
