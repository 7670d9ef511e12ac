"""The console's incidents, disruptions and cash pages in real Chromium: log in, see, act, see the
result; the pages follow the station feed without a reload and keep what is being typed; and a
supervisor of one station sees nothing of another's on these pages."""

from __future__ import annotations

from typing import Any

import pytest

from backend.cod.models import Handover, Variance
from backend.incidents.models import Disruption, DisruptionHold, Incident
from backend.incidents.services import disruption_declare, incident_acknowledge, incident_raise
from backend.incidents.services.disruptions import DisruptionInput
from bench.asgi_workers import Worker
from tests.backend.cod.conftest import deliver_cash
from tests.backend.incidents.conftest import incident_input
from tests.browser.servers import elsewhere
from tests.fixtures.browser import Visit, screenshot
from tests.fixtures.jobs import make_job
from tests.fixtures.people import make_courier, make_station, make_supervisor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def _build() -> dict[str, Any]:
    import importlib

    from django.apps import apps

    # A transactional test's flush also empties the playbooks the data migration seeded.
    importlib.import_module("backend.incidents.migrations.0002_seed_playbooks").seed(apps, None)
    station = make_station()
    supervisor = make_supervisor(station)
    courier = make_courier(station)
    job = make_job(station, supervisor.ctx, recipient_address="杭州市西湖区教工路88号")
    incident = incident_raise(
        station_id=station.pk, data=incident_input("loss", shipment_id=job.shipment_id), ctx=supervisor.ctx
    )
    deliver_cash(station, supervisor.ctx, courier[0], courier[1].ctx, 12_345)
    return {
        "station": station,
        "supervisor": supervisor,
        "courier": courier,
        "job": job,
        "incident": incident,
    }


def test_a_supervisor_acknowledges_and_resolves_an_incident(server: Worker, visit: Visit) -> None:
    w = elsewhere(_build)
    page = visit.log_in(server.http, w["supervisor"])
    page.click(f'nav.console-nav a[href="/console/{w["station"].code}/incidents/"]')
    row = page.locator(f'tr.incident[data-incident="{w["incident"].pk}"]')
    row.wait_for(state="visible", timeout=5_000)
    assert "个工作日" in row.locator(".days-left").inner_text()
    screenshot(visit, "console-incidents-zh-hans")
    row.locator("form.ack button").click()
    page.wait_for_selector(".message.success", timeout=5_000)
    assert Incident.objects.get(pk=w["incident"].pk).state == "acknowledged"
    row = page.locator(f'tr.incident[data-incident="{w["incident"].pk}"]')
    assert row.locator("form.ack").count() == 0
    row.locator("select[name=resolution]").select_option("compensated")
    row.locator("input[name=amount_yuan]").fill("50")
    row.locator("select[name=liable_party]").select_option("station")
    row.locator("form.decide button").click()
    page.wait_for_selector(".message.success", timeout=5_000)
    assert page.locator(f'tr.incident[data-incident="{w["incident"].pk}"]').count() == 0
    decided = Incident.objects.get(pk=w["incident"].pk)
    assert (decided.state, decided.amount_fen, decided.liable_party) == ("resolved", 5_000, "station")
    visit.assert_stays_on(server.http)


def test_a_supervisor_declares_a_disruption_and_lifts_it(server: Worker, visit: Visit) -> None:
    w = elsewhere(_build)
    page = visit.log_in(server.http, w["supervisor"], "en")
    page.goto(f"{server.http}/console/{w['station'].code}/disruptions/")
    form = page.locator("#declare")
    form.locator("select[name=kind]").select_option("typhoon")
    form.locator("textarea[name=address_prefixes]").fill("杭州市西湖区教工路")
    form.locator("input[name=reason]").fill("typhoon warning")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".message.success", timeout=5_000)
    disruption = Disruption.objects.get()
    assert DisruptionHold.objects.get().job_id == w["job"].pk
    row = page.locator(f'tr.disruption[data-disruption="{disruption.pk}"]')
    assert row.locator("td.held").inner_text() == "1"
    screenshot(visit, "console-disruptions-en")
    row.locator("form.release button").click()
    page.wait_for_selector(".message.success", timeout=5_000)
    assert page.locator("tr.disruption").count() == 0
    assert DisruptionHold.objects.get().released_at is not None
    visit.assert_stays_on(server.http)


def test_a_supervisor_confirms_a_short_handover_on_the_cash_page(server: Worker, visit: Visit) -> None:
    w = elsewhere(_build)
    page = visit.log_in(server.http, w["supervisor"])
    page.click(f'nav.console-nav a[href="/console/{w["station"].code}/cash/"]')
    row = page.locator(f'tr.courier-cash[data-courier="{w["courier"][0].pk}"]')
    row.wait_for(state="visible", timeout=5_000)
    assert row.locator("td.held").inner_text().startswith("123.45")
    row.locator("input[name=received_yuan]").fill("120")
    row.locator("input[name=reason]").fill("少3.45元，快递员确认")
    row.locator("form.confirm button").click()
    page.wait_for_selector(".message.success", timeout=5_000)
    row = page.locator(f'tr.courier-cash[data-courier="{w["courier"][0].pk}"]')
    assert row.locator("td.variance").inner_text() == "-3.45"
    assert row.locator("td.confirmed").inner_text() == "120.00"
    screenshot(visit, "console-cash-zh-hans")
    assert Handover.objects.get().received_fen == 12_000 and Variance.objects.get().amount_fen == -345
    visit.assert_stays_on(server.http)


def test_a_supervisor_of_one_station_sees_nothing_of_another_on_these_pages(
    server: Worker, visit: Visit
) -> None:
    w = elsewhere(_build)
    theirs = elsewhere(_build)
    page = visit.log_in(server.http, w["supervisor"])
    for path in ("incidents/", "disruptions/", "cash/"):
        answer = page.goto(f"{server.http}/console/{theirs['station'].code}/{path}")
        assert answer.status == 404, path
        assert page.locator("section.page").count() == 0, path
    page.goto(f"{server.http}/console/{w['station'].code}/incidents/")
    assert page.locator(f'tr.incident[data-incident="{theirs["incident"].pk}"]').count() == 0
    assert page.locator(f'tr.incident[data-incident="{w["incident"].pk}"]').count() == 1
    page.goto(f"{server.http}/console/{w['station'].code}/cash/")
    assert page.locator(f'tr.courier-cash[data-courier="{theirs["courier"][0].pk}"]').count() == 0
    # Acting on the other station's incident from one's own page is refused like a missing one.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    url = f"{server.http}/console/{w['station'].code}/incidents/{theirs['incident'].pk}/ack"
    answer = page.request.post(url, form={"csrfmiddlewaretoken": token or ""}, headers={"Referer": url})
    assert answer.status == 404
    assert Incident.objects.get(pk=theirs["incident"].pk).state == "open"
    visit.assert_stays_on(server.http)


def test_the_pages_follow_the_station_feed_and_keep_what_is_being_typed(server: Worker, visit: Visit) -> None:
    w = elsewhere(_build)
    code, boss = w["station"].code, w["supervisor"]
    courier, courier_person = w["courier"]
    page = visit.log_in(server.http, boss)

    page.goto(f"{server.http}/console/{code}/incidents/")
    page.wait_for_selector("#incidents[data-live-ready=true]", timeout=15_000)
    mine = page.locator(f'tr.incident[data-incident="{w["incident"].pk}"]')
    mine.locator("input[name=note]").fill("正在核实")
    mine.locator("select[name=liable_party]").select_option("station")
    # Another supervisor (another device) raises one and then takes it on.
    data = incident_input("misdelivery", shipment_id=w["job"].shipment_id)
    other = elsewhere(incident_raise, station_id=w["station"].pk, data=data, ctx=boss.ctx)
    page.wait_for_selector(f'tr.incident[data-incident="{other.pk}"]', timeout=5_000)
    assert page.locator("#incident-count").inner_text() == "2"
    elsewhere(incident_acknowledge, incident_id=other.pk, ctx=boss.ctx)
    page.locator(f'tr.incident[data-incident="{other.pk}"] form.ack').wait_for(
        state="detached", timeout=5_000
    )
    # The row being filled in stayed as it was, what was typed and chosen included.
    assert mine.locator("input[name=note]").input_value() == "正在核实"
    assert mine.locator("select[name=liable_party]").input_value() == "station"
    assert page.evaluate("window.parcelrunLive.redraws") >= 2

    page.goto(f"{server.http}/console/{code}/disruptions/")
    page.wait_for_selector("#disruptions[data-live-ready=true]", timeout=15_000)
    assert page.locator("tr.disruption").count() == 0
    declared = DisruptionInput(
        kind="typhoon", level=4, reason="台风预警", address_prefixes=("杭州市西湖区教工路",)
    )
    disruption = elsewhere(disruption_declare, station_id=w["station"].pk, data=declared, ctx=boss.ctx)
    row = page.locator(f'tr.disruption[data-disruption="{disruption.pk}"]')
    row.wait_for(state="visible", timeout=5_000)
    assert row.locator("td.held").inner_text() == "1"

    page.goto(f"{server.http}/console/{code}/cash/")
    page.wait_for_selector("#cash[data-live-ready=true]", timeout=15_000)
    row = page.locator(f'tr.courier-cash[data-courier="{courier.pk}"]')
    assert row.locator("td.held").inner_text().startswith("123.45")
    elsewhere(deliver_cash, w["station"], boss.ctx, courier, courier_person.ctx, 10_000)  # 100 yuan more
    page.wait_for_function(
        f"""() => (document.querySelector('tr.courier-cash[data-courier="{courier.pk}"] td.held') || {{}})
                 .textContent.startsWith('223.45')""",
        timeout=8_000,  # the cash page redraws at most every 2 s
    )
    visit.assert_stays_on(server.http)
