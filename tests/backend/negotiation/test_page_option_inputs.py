"""The customer's page asks what some options need: the new address (and optional coordinates)
for a redirect, who or where for a neighbour or a safe place; a bad entry shows the form again
with what was typed, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client

from backend.negotiation.models import Consent
from backend.negotiation.services import OptionInput
from backend.shipments.models import Job
from tests.backend.api.conftest import Api
from tests.backend.negotiation.conftest import offer, options

pytestmark = pytest.mark.django_db

EXTRA = [
    OptionInput(key="rd", kind="redirect", text={"zh": "改到另一个地址", "en": "Another address"}),
    OptionInput(key="nb", kind="neighbour", text={"zh": "交给邻居代收", "en": "A neighbour"}),
]


@pytest.fixture(autouse=True)
def fresh_counters() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def page(job, supervisor) -> str:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx, options=[*options(), *EXTRA])
    r = Api().post(f"/api/v1/negotiations/{n.pk}/link", as_=supervisor)
    return str(r.json()["url"])


def test_a_redirect_asks_for_the_address_and_optional_coordinates(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    url, c = page(job, supervisor), Client(HTTP_ACCEPT_LANGUAGE="en")
    form = c.post(url, {"option": "rd"}).content.decode()
    assert 'name="address"' in form and 'name="lat"' in form and 'name="lng"' in form
    bad = c.post(url, {"option": "rd", "confirm": "yes", "address": "杭州市西湖区古墩路88号", "lat": "north"})
    assert bad.status_code == 400 and "invalid_coordinates" in bad.content.decode()
    assert "杭州市西湖区古墩路88号" in bad.content.decode() and Consent.objects.count() == 0
    done = c.post(
        url,
        {
            "option": "rd",
            "confirm": "yes",
            "address": "杭州市西湖区古墩路88号",
            "lat": "30.3",
            "lng": "120,1",
        },
    )
    assert done.status_code == 302
    j = Job.objects.get(pk=job.pk)
    assert (j.address, j.lat, j.lng) == ("杭州市西湖区古墩路88号", 30.3, 120.1)


def test_a_neighbour_asks_who(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    url, c = page(job, supervisor), Client(HTTP_ACCEPT_LANGUAGE="zh")
    form = c.post(url, {"option": "nb"}).content.decode()
    assert 'name="leave_with"' in form and "邻居的姓名和门牌号" in form
    assert c.post(url, {"option": "nb", "confirm": "yes", "leave_with": ""}).status_code == 400
    assert c.post(url, {"option": "nb", "confirm": "yes", "leave_with": "王五 302"}).status_code == 302
    assert Consent.objects.get().details == {"neighbour": "王五 302"}
