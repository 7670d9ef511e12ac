"""The console's forecast page in real Chromium against a real ASGI server (daphne, PostgreSQL, Redis).

A supervisor opens the forecast from the board's nav: the next seven days with the couriers they
need and what is already known of tomorrow, the history chart drawn by the vendored uPlot with the
forecast after it, in Chinese and in English. Every request stays on the server.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from backend.couriers.selectors import station_today
from backend.forecast.selectors import CHART_DAYS
from backend.forecast.services import HORIZON, forecast_compute
from bench.asgi_workers import Worker
from tests.browser.servers import elsewhere
from tests.fixtures.browser import Visit, screenshot
from tests.fixtures.jobs import make_job
from tests.fixtures.people import make_courier, make_station, make_supervisor
from tests.fixtures.proofs import delivered_with_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def _build_world() -> dict[str, Any]:
    station = make_station()
    supervisor = make_supervisor(station)
    courier = make_courier(station)
    now = timezone.now()
    for minutes_ago in (5, 10):
        delivered_with_code(
            station,
            supervisor,
            courier,
            now - timedelta(minutes=minutes_ago),
            service_date=station_today(station, now),
        )
    tomorrow = station_today(station, timezone.now()) + timedelta(days=1)
    make_job(station, supervisor.ctx, service_date=tomorrow)  # manifested upstream, in transit
    forecast_compute(station_id=station.pk, now=timezone.now())
    return {"station": station, "supervisor": supervisor}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_supervisor_opens_the_forecast_and_sees_the_week_and_the_chart(
    server: Worker, visit: Visit, language: str
) -> None:
    w = elsewhere(_build_world)
    page = visit.log_in(server.http, w["supervisor"], language)
    assert page.url == f"{server.http}/console/{w['station'].code}/"
    page.click(f'nav a[href="/console/{w["station"].code}/forecast/"]')
    page.wait_for_selector(f'#forecast-chart[data-drawn="{CHART_DAYS + HORIZON}"]', timeout=15_000)
    assert page.locator("#forecast-chart .uplot canvas").count() >= 1  # uPlot drew its canvas
    legend = page.locator("#forecast-chart .u-legend").inner_text()
    assert {"zh-hans": "派送（预测）", "en": "Deliveries (forecast)"}[language] in legend
    days = page.locator("#forecast-days tbody tr")
    assert days.count() == HORIZON
    tomorrow = days.first.inner_text()
    assert {"zh-hans": "在途 1 件", "en": "(1 in transit)"}[language] in tomorrow
    assert all(int(n) >= 1 for n in page.locator("#forecast-days td.couriers-needed").all_inner_texts())
    assert page.locator("#forecast-backtest tbody tr").count() == 2
    screenshot(visit, f"console-forecast-{language}")
    visit.assert_stays_on(server.http)
