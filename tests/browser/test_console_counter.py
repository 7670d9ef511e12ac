"""The station counter in real Chromium: a clerk finds a parcel held for its customer by its
tracking number, types a wrong pickup code (refused, counted), then the right one, and the parcel
is handed over; in both languages, every request on the server."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from backend.negotiation.models import PickupHold
from backend.shipments.models import Job
from bench.asgi_workers import Worker
from tests.backend.console.test_counter_page import held_at_station, wrong
from tests.backend.negotiation.conftest import NOW, failed_job
from tests.browser.servers import elsewhere
from tests.fixtures.browser import Visit, screenshot
from tests.fixtures.people import make_courier, make_station, make_supervisor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def _build() -> dict[str, Any]:
    # The customer's choice is made at the fixtures' instant; the clerk works at the real one.
    with time_machine.travel(NOW, tick=False):
        station = make_station()
        supervisor = make_supervisor(station)
        courier = make_courier(station)
        job, code = held_at_station(failed_job(station, supervisor, courier), supervisor)
    return {"station": station, "supervisor": supervisor, "job": job, "code": code}


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("zh-hans", {"wrong": "取件码不正确", "done": "已交付"}),
        ("en", {"wrong": "The pickup code does not match", "done": "Handed over"}),
    ],
)
def test_a_clerk_hands_a_held_parcel_over_with_its_pickup_code(
    server: Worker, visit: Visit, language: str, texts: dict[str, str]
) -> None:
    w = elsewhere(_build)
    job, code, station = w["job"], w["code"], w["station"]
    page = visit.log_in(server.http, w["supervisor"], language)
    page.click(f'nav.console-nav a[href="/console/{station.code}/counter/"]')
    page.fill("form.counter-find input[name=q]", job.shipment.tracking_no)
    page.press("form.counter-find input[name=q]", "Enter")  # as a hardware scanner ends its scan
    row = page.locator(f'tr.held[data-job="{job.pk}"]')
    row.wait_for(state="visible", timeout=5_000)
    assert page.locator("tr.held").count() == 1
    assert code not in page.content()
    row.locator("input[name=code]").fill(wrong(code))
    row.locator("input[name=recipient_name]").fill("王五")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".refusal", timeout=5_000)
    assert texts["wrong"] in page.locator(".refusal").inner_text()
    screenshot(visit, f"console-counter-wrong-{language}")
    assert elsewhere(lambda: PickupHold.objects.get(job_id=job.pk).failed_attempts) == 1
    row = page.locator(f'tr.held[data-job="{job.pk}"]')
    row.locator("input[name=code]").fill(code)
    row.locator("input[name=recipient_name]").fill("王五")
    row.locator("select[name=recipient_relation]").select_option("family")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".message.success", timeout=5_000)
    assert texts["done"] in page.locator(".message.success").inner_text()
    assert page.locator(f'tr.held[data-job="{job.pk}"]').count() == 0
    screenshot(visit, f"console-counter-done-{language}")
    done = elsewhere(lambda: Job.objects.select_related("shipment").get(pk=job.pk))
    assert (done.status, done.shipment.status) == ("completed", "delivered")
    visit.assert_stays_on(server.http)
