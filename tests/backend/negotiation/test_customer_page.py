"""The customer's page through HTTP: issue a link, see the parcel masked, choose, confirm, see
the result; CSRF, security headers, rate limits, and every kind of bad link answered with a page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from backend.negotiation import pickup_codes
from backend.negotiation.links import link_issue
from backend.negotiation.models import Consent, PickupHold
from backend.negotiation.services import negotiation_cancel
from tests.backend.api.conftest import Api
from tests.backend.negotiation.conftest import NOW, offer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counters() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def issue(n, supervisor) -> dict[str, str]:  # type: ignore[no-untyped-def]
    r = Api().post(f"/api/v1/negotiations/{n.pk}/link", as_=supervisor)
    assert r.status_code == 201, r.content
    return r.json()  # type: ignore[no-any-return]


def test_staff_of_the_station_issue_links_others_cannot(job, supervisor, other_supervisor, courier) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    link = issue(n, supervisor)
    assert link["url"] == f"/n/{link['token']}/" and len(link["link_id"]) >= 22  # 128 bits, base64
    assert Api().post(f"/api/v1/negotiations/{n.pk}/link", as_=other_supervisor).status_code == 404
    assert Api().post(f"/api/v1/negotiations/{n.pk}/link", as_=courier[1]).status_code == 403


def test_choose_confirm_and_see_the_result_in_chinese(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    link = issue(n, supervisor)
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.8")
    page = c.get(link["url"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "今天 14:00–15:00" in html and "在站点自取" in html and "派送未成功" in html
    # The link page masks as the label does (six hidden, not the last four: parcelkit.rules.privacy).
    assert "13912345678" not in html and "139******78" in html and "5678" not in html
    assert 'class="code"' not in html  # the pickup code only after the choice
    assert page["Content-Security-Policy"].startswith("default-src 'self'")
    assert (page["X-Frame-Options"], page["Referrer-Policy"], page["Cache-Control"]) == (
        "DENY",
        "same-origin",
        "no-store",
    )
    confirm = c.post(link["url"], {"option": "st", "lang": "zh"})
    assert confirm.status_code == 200 and "请确认" in confirm.content.decode()
    assert Consent.objects.count() == 0  # choosing is not answering
    done = c.post(link["url"], {"option": "st", "lang": "zh", "confirm": "yes"})
    assert done.status_code == 302
    result = c.get(done["Location"]).content.decode()
    code = pickup_codes.code_of(PickupHold.objects.get().secret)
    assert "已收到您的选择" in result and f"<strong>{code}</strong>" in result
    consent = Consent.objects.get()
    assert (consent.channel, consent.language, consent.shown_text, consent.link_id) == (
        "link",
        "zh",
        "在站点自取",
        link["link_id"],
    )


def test_english_by_accept_language_and_the_switch(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    link = issue(offer(job, supervisor.ctx), supervisor)
    c = Client(HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert "Today 14:00–15:00" in c.get(link["url"]).content.decode()
    assert "今天 14:00–15:00" in c.get(link["url"] + "?lang=zh").content.decode()


def test_posts_need_the_csrf_token(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    link = issue(offer(job, supervisor.ctx), supervisor)
    c = Client(enforce_csrf_checks=True)
    c.get(link["url"])
    assert c.post(link["url"], {"option": "w1", "confirm": "yes"}).status_code == 403
    assert Consent.objects.count() == 0


def test_a_second_tab_sees_the_first_answer(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    link = issue(offer(job, supervisor.ctx), supervisor)
    one, two = Client(HTTP_ACCEPT_LANGUAGE="en"), Client(HTTP_ACCEPT_LANGUAGE="en")
    one.post(link["url"], {"option": "w1", "confirm": "yes"})
    late = two.post(link["url"], {"option": "st", "confirm": "yes"})
    assert late.status_code == 302
    shown = two.get(late["Location"]).content.decode()
    assert "We have your choice" in shown and "Today 14:00–15:00" in shown
    assert Consent.objects.get().option_key == "w1"


def test_bad_links_answer_a_page_in_the_customers_language(job, supervisor, station) -> None:  # type: ignore[no-untyped-def]
    n = offer(job, supervisor.ctx)
    link = issue(n, supervisor)
    en = Client(HTTP_ACCEPT_LANGUAGE="en")
    tampered = en.get(link["url"].replace(link["token"][:6], "AAAAAA"))
    assert tampered.status_code == 404 and "This link is not valid" in tampered.content.decode()
    unknown, _, _ = link_issue(negotiation_id=n.pk + 1000, shipment_id=n.shipment_id, now=NOW)
    assert Client().get(f"/n/{unknown}/").status_code == 404
    other_shipment, _, _ = link_issue(negotiation_id=n.pk, shipment_id=n.shipment_id + 1, now=NOW)
    assert "找不到此包裹" in Client().get(f"/n/{other_shipment}/").content.decode()
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        expired = en.get(link["url"])
    assert expired.status_code == 410 and "This link has expired" in expired.content.decode()
    negotiation_cancel(negotiation_id=n.pk, ctx=supervisor.ctx, reason="phoned instead")
    closed = Client(HTTP_ACCEPT_LANGUAGE="zh").get(link["url"])
    assert closed.status_code == 410 and station.name in closed.content.decode()


def test_a_link_is_rate_limited(job, supervisor) -> None:  # type: ignore[no-untyped-def]
    link = issue(offer(job, supervisor.ctx), supervisor)
    codes = [Client().get(link["url"]).status_code for _ in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429
