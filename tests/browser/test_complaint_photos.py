"""A customer on a phone, in Chinese, complains that the parcel came crushed: picks the type,
describes it, attaches a real JPEG from the phone and sends it; the page shows the answer date and
the incident holds the photo. The page's CSP is enforced and every request stays on the server."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from PIL import Image

from backend.incidents.models import Incident
from backend.negotiation.links import link_issue
from backend.sync.attachments import storage_path
from backend.sync.models import Attachment
from tests.browser.test_negotiation_page import PHONE, off_the_loop
from tests.clock import station_tz
from tests.fixtures.browser import Visit, screenshot
from tests.fixtures.jobs import make_job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NOW = datetime(2026, 9, 30, 20, 0, tzinfo=ZoneInfo(station_tz()))


@pytest.fixture(autouse=True)
def playbooks(transactional_db: None) -> None:
    """A transactional test's flush also empties the playbooks the data migration seeded."""
    import importlib

    from django.apps import apps

    importlib.import_module("backend.incidents.migrations.0002_seed_playbooks").seed(apps, None)


@pytest.fixture
def phone(chromium: Any) -> Iterator[tuple[Visit, list[str]]]:
    """A phone-sized context with the page's CSP enforced; CSP complaints collected."""
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    seen, csp = Visit(page=page), []
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    yield seen, csp
    context.close()


def _open_complaint(visit: Visit, base: str, station: Any, supervisor: Any) -> tuple[Any, str]:
    """A parcel's complaint form, opened in Chinese from its signed link (as the page links it)."""
    job = off_the_loop(lambda: make_job(station, supervisor.ctx))
    token, _, _ = link_issue(negotiation_id=0, shipment_id=job.shipment_id, now=NOW)
    page: Any = visit.page
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh"})
    page.goto(f"{base}/n/{token}/complaint")
    return page, base


def test_a_customer_sends_a_photo_with_the_complaint_from_a_phone(  # type: ignore[no-untyped-def]
    live_server, phone: tuple[Visit, list[str]], station, supervisor, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = tmp_path / "IMG_0001.jpg"
    Image.new("RGB", (640, 480), "saddlebrown").save(photo, format="JPEG", quality=85)
    digest = hashlib.sha256(photo.read_bytes()).hexdigest()
    visit, csp = phone
    with time_machine.travel(NOW, tick=True):
        page, base = _open_complaint(visit, str(live_server.url), station, supervisor)
        page.get_by_text("发生了什么？").wait_for()
        page.locator("input[name=incident_type][value=damage]").check()
        page.get_by_label("请描述情况").fill("外箱被压坏，里面的杯子碎了")
        page.get_by_label("照片").set_input_files(str(photo))
        screenshot(visit, "complaint-zh-photo-attached")
        page.get_by_role("button", name="提交").click()
        page.get_by_text("已收到您的投诉").wait_for()
        screenshot(visit, "complaint-zh-photo-sent")
    incident = Incident.objects.get()
    assert (incident.incident_type, incident.photo_sha256) == ("damage", [digest])
    assert Attachment.objects.get(sha256=digest).content_type == "image/jpeg"
    assert storage_path(digest).read_bytes() == photo.read_bytes()
    visit.assert_stays_on(base)
    assert csp == []


def test_a_file_that_is_not_a_photo_is_refused_in_chinese_and_nothing_is_written(  # type: ignore[no-untyped-def]
    live_server, phone: tuple[Visit, list[str]], station, supervisor, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    fake = tmp_path / "IMG_0002.jpg"
    fake.write_bytes(b"this is a text file wearing a .jpg name")
    visit, csp = phone
    with time_machine.travel(NOW, tick=True):
        page, base = _open_complaint(visit, str(live_server.url), station, supervisor)
        page.locator("input[name=incident_type][value=loss]").check()
        page.get_by_label("请描述情况").fill("包裹没收到")
        page.get_by_label("照片").set_input_files(str(fake))
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="提交").click()
        assert answer.value.status == 400
        page.get_by_role("alert").get_by_text("无法识别照片").wait_for()
        screenshot(visit, "complaint-zh-photo-refused")
    assert not Incident.objects.exists() and not Attachment.objects.exists()
    visit.assert_stays_on(base)
    assert csp == []
