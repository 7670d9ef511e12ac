"""The console's KPI page in real Chromium against a real ASGI server (daphne, PostgreSQL, Redis).

A supervisor opens the KPI page from the board's nav: today's figures, the 14-day trend drawn by
the vendored uPlot, and the courier ranking, in Chinese and in English. Every request stays on the
server.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from backend.couriers.selectors import station_today
from backend.kpis.models import KpiDay, Metric
from backend.kpis.selectors import day_bounds
from bench.asgi_workers import Worker
from tests.browser.servers import elsewhere
from tests.fixtures.browser import Visit, screenshot
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
    a, b = make_courier(station), make_courier(station)
    other = make_station()
    stranger = make_courier(other)
    now = timezone.now()  # the server's real clock: the page reads "today" from it
    window = {"promised_start": now - timedelta(hours=1), "promised_end": now + timedelta(hours=1)}
    today_ = station_today(station, now)
    # Both deliveries inside the station's today, even minutes after its midnight (the suite runs
    # at any hour: at 16:05 UTC, Shanghai's day is five minutes old).
    midnight, _ = day_bounds(today_, station.time_zone)
    for courier, ago in ((a, 5), (b, 10)):
        at = max(midnight, now - timedelta(minutes=ago))
        delivered_with_code(station, supervisor, courier, at, service_date=today_, **window)
    today = station_today(station, timezone.now())
    # The closed days, as the nightly roll-up left them: a rising on-time rate.
    for back in range(1, 14):
        day = today - timedelta(days=back)
        for who, n in ((None, 20 - back), (a[0], 10 - back // 2), (b[0], 9 - back // 2)):
            for metric in (Metric.ON_TIME, Metric.FIRST_ATTEMPT, Metric.SCAN_TIMELY):
                KpiDay.objects.create(
                    station=station,
                    courier=who,
                    day=day,
                    metric=metric,
                    numerator=max(n, 0),
                    denominator=20 if who is None else 10,
                    computed_at=timezone.now(),
                )
    KpiDay.objects.create(
        station=other,
        courier=stranger[0],
        day=today - timedelta(days=1),
        metric=Metric.ON_TIME,
        numerator=1,
        denominator=1,
        computed_at=timezone.now(),
    )
    return {"station": station, "supervisor": supervisor, "a": a[0], "b": b[0], "stranger": stranger[0]}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_supervisor_opens_the_kpis_and_sees_the_trend_and_the_ranking(
    server: Worker, visit: Visit, language: str
) -> None:
    w = elsewhere(_build_world)
    page = visit.log_in(server.http, w["supervisor"], language)
    assert page.url == f"{server.http}/console/{w['station'].code}/"
    page.click(f'nav a[href="/console/{w["station"].code}/kpis/"]')
    page.wait_for_selector('#kpi-chart[data-drawn="14"]', timeout=15_000)
    assert page.locator("#kpi-chart .uplot canvas").count() >= 1  # uPlot drew its canvas
    legend = page.locator("#kpi-chart .u-legend").inner_text()
    assert {"zh-hans": "准时率", "en": "On time"}[language] in legend
    tile = page.locator('.kpi-tile[data-metric="on_time"]').inner_text()
    assert "2 / 2" in tile  # both of today's deliveries, live, within their windows
    ranking = page.locator("#kpi-ranking tbody tr")
    assert ranking.count() == 2
    names = ranking.all_inner_texts()
    assert w["a"].name in names[0] and w["b"].name in names[1]  # Alice's on-time rate is higher
    assert w["stranger"].name not in page.content()
    screenshot(visit, f"console-kpis-{language}")
    visit.assert_stays_on(server.http)
