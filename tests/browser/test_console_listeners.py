"""The board in real Chromium over many live refreshes: its event listeners stay the same, and a
move's answer is all the page needs.

Every refresh replaces the lane heads (and moves cards); the map redraws the couriers from them. The
page's listeners are on the board and on the map's layer groups (delegation), so a refresh must add
none: the count Chromium reports (CDP ``Performance.getMetrics`` ``JSEventListeners``, after a forced
GC) is the same after each refresh, and no ``addEventListener`` is called while refreshes are
applied. bench/console.py samples the same count during its memory stream.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from backend.shipments.models import Job
from backend.shipments.services.planning import job_set_plan
from bench.asgi_workers import Worker
from tests.browser.servers import elsewhere
from tests.browser.test_console import LIVE_MS, _card, _drag, _give_reason, _lane, _login
from tests.browser.test_console_map import _build_world
from tests.fixtures.browser import Visit
from tests.fixtures.jobs import make_job

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

# Counts the listeners added from the page's scripts (before they run), whatever the target.
COUNT_ADDS = """
(() => {
  const add = EventTarget.prototype.addEventListener;
  window.__adds = 0;
  EventTarget.prototype.addEventListener = function (...args) { window.__adds += 1; return add.apply(this, args); };
})();
"""


def _listeners(cdp: Any) -> int:
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return int(metrics["JSEventListeners"])


def _settled(page: Any, flushes: int, draws: int) -> None:
    """A refresh after ``flushes`` applied and the map redrawn after it (lane heads and couriers)."""
    page.wait_for_function(
        "([f, d]) => window.parcelrunBoard.flushes > f && window.parcelrunMap.draws > d",
        arg=[flushes, draws],
        timeout=LIVE_MS,
    )
    page.wait_for_timeout(300)  # the map redraws at most every 150 ms: let the last one run


def test_live_refreshes_add_no_event_listeners(server: Worker, visit: Visit) -> None:
    w = elsewhere(_build_world)
    page: Any = visit.page
    page.add_init_script(COUNT_ADDS)
    page = _login(visit, server.http, w["supervisor"])
    page.wait_for_function("() => window.parcelrunMap && window.parcelrunMap.draws > 0")
    assert page.locator("#map .map-courier").count() == 2  # the couriers' markers are drawn
    cdp = page.context.new_cdp_session(page)
    cdp.send("Performance.enable")
    base = timezone.now().replace(microsecond=0)

    def replan(k: int) -> None:  # a card on screen changes: a refresh of it and of every lane head
        for seq, key in enumerate(("a2", "a1")):
            job_set_plan(
                job_id=w[key].pk, planned_seq=seq, eta=base + timedelta(minutes=k), ctx=w["supervisor"].ctx
            )

    state = page.evaluate("() => [window.parcelrunBoard.flushes, window.parcelrunMap.draws]")
    elsewhere(replan, 0)
    _settled(page, *state)
    first, adds = _listeners(cdp), page.evaluate("() => window.__adds")
    counts = []
    for k in range(1, 6):
        state = page.evaluate("() => [window.parcelrunBoard.flushes, window.parcelrunMap.draws]")
        elsewhere(replan, k)
        _settled(page, *state)
        counts.append(_listeners(cdp))
    assert counts == [first] * 5, f"listeners after each refresh: {first} then {counts}"
    assert page.evaluate("() => window.__adds") == adds  # the refreshes added none
    assert page.locator("#map .map-courier").count() == 2  # the markers are still there, moved in place
    visit.assert_stays_on(server.http)


def test_a_move_s_answer_is_applied_without_fetching_the_moved_cards_again(
    server: Worker, visit: Visit
) -> None:
    w = elsewhere(_build_world)
    extra = elsewhere(
        lambda: [
            make_job(w["station"], w["supervisor"].ctx, service_date=w["a1"].service_date) for _ in range(3)
        ]
    )
    page = _login(visit, server.http, w["supervisor"])
    page.wait_for_function("() => window.parcelrunMap && window.parcelrunMap.draws > 0")
    ids = [w["q1"].pk, w["q2"].pk, *(j.pk for j in extra)]
    page.evaluate("(ids) => window.parcelrunMap.pick(ids.map(String), false)", ids)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/cards?" in r.url else None)
    messages = page.evaluate("() => window.parcelrunBoard.messages")
    _drag(page, _card(page, w["q1"]), _lane(w["b"]))
    _give_reason(page, "five at once")
    for job_id in ids:  # shown in b's lane, re-drawn by the server (the answer's partial)
        page.wait_for_selector(
            f'{_lane(w["b"])} .card[data-job="{job_id}"][data-lane="courier-{w["b"].pk}"]', timeout=LIVE_MS
        )
    # The move's own feed messages (one job.assigned each) arrive and ask for nothing more.
    page.wait_for_function(
        "(n) => window.parcelrunBoard.messages >= n", arg=messages + len(ids), timeout=LIVE_MS
    )
    page.wait_for_timeout(800)  # past the refresh's 250 ms coalescing
    assert asked == [], f"the page fetched cards again after the move: {asked}"
    stops = page.evaluate("(ids) => ids.map((id) => window.parcelrunBoard.stops.get(String(id)).lane)", ids)
    assert stops == [f"courier-{w['b'].pk}"] * len(ids)
    assert set(Job.objects.filter(pk__in=ids).values_list("courier_id", flat=True)) == {w["b"].pk}
    visit.assert_stays_on(server.http)
