"""The console's exceptions queue, shipment search, shipment page and unmask in real Chromium.

Each test is a thing a supervisor does: resolve an exception with a reason; search, open a
shipment and see its signature image; unmask a phone with a reason and find the audit row; and
see nothing of another station. Every request the page makes must stay on the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_django import Settings

from backend.couriers.selectors import station_today
from backend.exceptions.models import ContactReveal, ExceptionResolution
from backend.shipments.services import job_fail, job_start
from bench.asgi_workers import Worker
from tests.backend.sync.helpers import ready_job
from tests.browser.servers import elsewhere
from tests.fixtures.browser import Visit, screenshot
from tests.fixtures.jobs import make_job
from tests.fixtures.people import make_courier, make_station, make_supervisor
from tests.fixtures.proofs import delivered_with_signature
from tests.servers import daphne_worker

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def media_root(settings: Settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT  # type: ignore[no-any-return]


@pytest.fixture
def server(tmp_path: Path, media_root: Path) -> Iterator[Worker]:
    """A daphne worker on the test database, storing and serving media where this test writes them."""
    yield from daphne_worker(tmp_path, MEDIA_ROOT=str(media_root))


def _build() -> dict[str, Any]:
    from django.utils import timezone

    station = make_station()
    supervisor = make_supervisor(station)
    courier = make_courier(station)
    day = station_today(station, timezone.now())
    failed = ready_job(station, supervisor, courier[0])
    job_start(job_id=failed.pk, ctx=courier[1].ctx)
    job_fail(job_id=failed.pk, ctx=courier[1].ctx, reason_code="not_home")
    signed, sha = delivered_with_signature(
        station, supervisor, courier, service_date=day, recipient_phone="13700004321"
    )
    return {"station": station, "supervisor": supervisor, "failed": failed, "signed": signed, "sha": sha}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_supervisor_resolves_an_exception_with_a_reason(
    server: Worker, visit: Visit, language: str
) -> None:
    w = elsewhere(_build)
    page = visit.log_in(server.http, w["supervisor"], language)
    page.click(f'nav.console-nav a[href="/console/{w["station"].code}/exceptions/"]')
    row = page.locator(
        f'tr.exception[data-kind="failed_attempt"]:has(a:text("{w["failed"].shipment.tracking_no}"))'
    )
    row.wait_for(state="visible", timeout=5_000)
    screenshot(visit, f"console-exceptions-{language}")
    row.locator("input[name=reason]").fill(
        "客户改约明天" if language == "zh-hans" else "customer asked for tomorrow"
    )
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".message.success", timeout=5_000)
    assert (
        page.locator(
            f'tr.exception[data-kind="failed_attempt"]:has(a:text("{w["failed"].shipment.tracking_no}"))'
        ).count()
        == 0
    )
    resolution = ExceptionResolution.objects.get(kind="failed_attempt")
    assert resolution.resolved_by_id == w["supervisor"].user.pk and resolution.reason
    visit.assert_stays_on(server.http)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_supervisor_searches_opens_a_shipment_and_sees_its_signature(
    server: Worker, visit: Visit, language: str
) -> None:
    w = elsewhere(_build)
    page = visit.log_in(server.http, w["supervisor"], language)
    box = page.locator("nav.console-nav input[name=q]")
    box.fill("4321")  # the recipient phone's last four digits
    box.press("Enter")
    page.locator(f'a.tn:text("{w["signed"].shipment.tracking_no}")').click()
    image = page.locator("img.proof-image")
    image.wait_for(state="visible", timeout=5_000)
    page.wait_for_function("() => document.querySelector('img.proof-image').naturalWidth === 120")
    assert "137****4321" in page.locator("#recipient-phone").inner_text()
    screenshot(visit, f"console-shipment-{language}")
    visit.assert_stays_on(server.http)


def test_a_supervisor_unmasks_a_phone_with_a_reason_and_finds_the_audit_row(
    server: Worker, visit: Visit
) -> None:
    w = elsewhere(_build)
    page = visit.log_in(server.http, w["supervisor"], "en")
    shipment_url = f"{server.http}/console/{w['station'].code}/shipments/{w['signed'].shipment.tracking_no}/"
    page.goto(shipment_url)
    form = page.locator("#reveal-form")
    form.locator("select[name=field]").select_option("recipient_phone")
    form.locator("button[type=submit]").click()  # no reason: the browser keeps the form
    assert ContactReveal.objects.count() == 0
    form.locator("input[name=reason]").fill("courier cannot find the door")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#recipient-phone.revealed", timeout=5_000)
    assert page.locator("#recipient-phone").inner_text() == "+8613700004321"
    assert "courier cannot find the door" in page.locator("#audit-rows").inner_text()
    screenshot(visit, "console-unmasked-en")
    reveal = ContactReveal.objects.get()
    assert (reveal.field, reveal.revealed_by_id) == ("recipient_phone", w["supervisor"].user.pk)
    page.goto(shipment_url)  # a GET shows the masked value again: the full value was in that answer only
    assert page.locator("#recipient-phone").inner_text() == "137****4321"
    visit.assert_stays_on(server.http)


def test_a_supervisor_of_one_station_finds_nothing_of_another(server: Worker, visit: Visit) -> None:
    w = elsewhere(_build)

    def other_world() -> tuple[Any, Any]:
        other = make_station()
        return other, make_job(other, make_supervisor(other).ctx, recipient_phone="13700004321")

    other, secret = elsewhere(other_world)
    page = visit.log_in(server.http, w["supervisor"])
    tn = secret.shipment.tracking_no
    for path in (
        f"/console/{other.code}/exceptions/",
        f"/console/{other.code}/search/?q={tn}",
        f"/console/{other.code}/shipments/{tn}/",
        f"/console/{w['station'].code}/shipments/{tn}/",
    ):
        answer = page.goto(f"{server.http}{path}")
        assert answer.status == 404, path  # the same answer as a station or parcel that does not exist
        # (the debug 404 page of the test server echoes the URL, so look for the page's content)
        assert page.locator("section.page, a.tn").count() == 0, path
    page.goto(f"{server.http}/console/{w['station'].code}/search/?q={tn}")
    assert page.locator("tr.hit").count() == 0 and page.locator("p.empty").count() == 1
    # The same phone suffix finds the own station's parcel only.
    page.goto(f"{server.http}/console/{w['station'].code}/search/?q=4321")
    assert page.locator("tr.hit a.tn").all_inner_texts() == [w["signed"].shipment.tracking_no]
    screenshot(visit, "console-search-zh-hans")
    visit.assert_stays_on(server.http)


def test_the_queue_redraws_itself_when_a_fact_changes_it_keeping_a_reason_being_typed(
    server: Worker, visit: Visit
) -> None:
    w = elsewhere(_build)
    page = visit.log_in(server.http, w["supervisor"], "en")
    page.goto(f"{server.http}/console/{w['station'].code}/exceptions/")
    page.wait_for_selector("#exceptions[data-live-ready=true]", timeout=15_000)
    before = page.locator("tr.exception").count()
    typing = page.locator("tr.exception").first
    subject = typing.get_attribute("data-subject")
    typing.locator("input[name=reason]").fill("calling the customer")

    def another_failure() -> Any:
        courier = make_courier(w["station"])
        job = ready_job(w["station"], w["supervisor"], courier[0])
        job_start(job_id=job.pk, ctx=courier[1].ctx)
        return job_fail(job_id=job.pk, ctx=courier[1].ctx, reason_code="refused")

    job = elsewhere(another_failure)  # a courier's failed attempt, committed by another process
    # The new item appears without a reload, and the reason being typed is still there.
    page.wait_for_selector(f'tr.exception:has(a:text("{job.shipment.tracking_no}"))', timeout=8_000)
    after = page.locator("tr.exception").count()  # the failure, and the new courier may be "offline"
    assert after > before and page.locator("#exception-count").inner_text() == str(after)
    kept = page.locator(f'tr.exception[data-subject="{subject}"] input[name=reason]')
    assert kept.input_value() == "calling the customer"
    assert page.evaluate("window.parcelrunQueue.redraws") >= 1
    visit.assert_stays_on(server.http)
