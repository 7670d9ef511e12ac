"""The supervisor console in real Chromium against a real ASGI server (daphne, PostgreSQL, Redis).

Each test is a thing a supervisor does: log in and see the board, reassign by drag and by
multi-select (with a reason), watch a card move when a courier's delivery is committed by another
process, and find nothing of another station. Every request the page makes must stay on the server.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from backend.console.board import LANE_PAGE
from backend.couriers.models import Courier, Supervisor
from backend.couriers.selectors import station_today
from backend.couriers.services import supervisor_update
from backend.dispatch.models import AssignmentDecision
from backend.shipments.models import Job
from backend.shipments.services import job_accept, job_assign, job_deliver, job_start, scan
from backend.shipments.services.door_inputs import ProofInput
from backend.shipments.services.planning import job_set_plan
from bench.asgi_workers import Worker
from tests.browser.servers import elsewhere
from tests.fixtures.browser import Visit, screenshot
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person, make_courier, make_station, make_supervisor

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]
LIVE_MS = 8_000  # generous for a loaded 2-core machine; bench/ measures the real figure


def _world() -> dict[str, Any]:
    return elsewhere(_build_world)


def _build_world() -> dict[str, Any]:
    station = make_station()
    supervisor = make_supervisor(station)
    (a, a_person), (b, _) = make_courier(station), make_courier(station)
    day = station_today(station, timezone.now())  # the server's clock decides "today"; so do we
    jobs = {
        "a1": make_job(station, supervisor.ctx, service_date=day, cod_amount_fen=2000, handling=["fragile"]),
        "a2": make_job(station, supervisor.ctx, service_date=day),
        "q1": make_job(station, supervisor.ctx, service_date=day),
        "q2": make_job(station, supervisor.ctx, service_date=day, handling=["id_check"]),
    }
    for key in ("a1", "a2"):
        scan(tracking_no=jobs[key].shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
        jobs[key] = job_assign(job_id=jobs[key].pk, courier_id=a.pk, ctx=supervisor.ctx)
    return {
        "station": station,
        "supervisor": supervisor,
        "a": a,
        "a_person": a_person,
        "b": b,
        "day": day,
        **jobs,
    }


def _login(visit: Visit, base: str, who: Person, language: str = "zh-hans") -> Any:
    page = visit.log_in(base, who, language)
    page.wait_for_selector("#live[data-state=live]", timeout=15_000)
    return page


def _card(page: Any, job: Job) -> Any:
    return page.locator(f'.card[data-job="{job.pk}"]')


def _lane(courier: Courier) -> str:
    return f'[data-lane-body="courier-{courier.pk}"]'


def _give_reason(page: Any, reason: str) -> None:
    page.wait_for_selector("#reason-dialog[open]", timeout=5_000)
    page.fill("#reason-input", reason)
    page.click("#reason-ok")


def _drag(page: Any, source: Any, target_selector: str) -> None:
    box = source.bounding_box()
    target = page.locator(target_selector).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + 20, steps=12)
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + 30, steps=4)
    page.mouse.up()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_supervisor_logs_in_and_sees_the_board(server: Worker, visit: Visit, language: str) -> None:
    w = _world()
    page = _login(visit, server.http, w["supervisor"], language)
    assert page.url == f"{server.http}/console/{w['station'].code}/"
    lane_a = page.locator(_lane(w["a"]))
    assert lane_a.locator(".card").count() == 2
    assert page.locator('[data-lane-body="unassigned"] .card').count() == 2
    card = _card(page, w["a1"])
    assert w["a1"].shipment.tracking_no in card.inner_text()
    assert "139****5678" in card.inner_text()
    assert card.locator(".flag.cod").count() == 1 and card.locator(".flag.fragile").count() == 1
    expected = {"zh-hans": "未分配", "en": "Unassigned"}[language]
    assert expected in page.locator('[data-lane-head="unassigned"]').inner_text()
    screenshot(visit, f"console-board-{language}")
    visit.assert_stays_on(server.http)


def test_a_supervisor_reassigns_a_card_by_dragging_it_with_a_reason(server: Worker, visit: Visit) -> None:
    w = _world()
    page = _login(visit, server.http, w["supervisor"])
    _drag(page, _card(page, w["a1"]), _lane(w["b"]))
    _give_reason(page, "小李的车坏了")
    # Moved, and re-drawn by the server (a new version): the drop alone only moved the element.
    moved = f'{_lane(w["b"])} .card[data-job="{w["a1"].pk}"]:not([data-version="{w["a1"].version}"])'
    page.wait_for_selector(moved, timeout=LIVE_MS)
    assert Job.objects.get(pk=w["a1"].pk).courier_id == w["b"].pk
    decision = AssignmentDecision.objects.get(job_id=w["a1"].pk, courier_id=w["b"].pk)
    assert decision.reason == "小李的车坏了" and decision.actor_id == w["supervisor"].user.pk
    visit.assert_stays_on(server.http)


def test_a_supervisor_moves_several_cards_selected_with_shift_click(server: Worker, visit: Visit) -> None:
    w = _world()
    page = _login(visit, server.http, w["supervisor"])
    _card(page, w["q1"]).click(modifiers=["Shift"])
    _card(page, w["q2"]).click(modifiers=["Shift"])
    assert page.locator(".card.selected").count() == 2
    _drag(page, _card(page, w["q2"]), _lane(w["b"]))
    _give_reason(page, "morning load")
    for job in (w["q1"], w["q2"]):
        moved = f'{_lane(w["b"])} .card[data-job="{job.pk}"]:not([data-version="{job.version}"])'
        page.wait_for_selector(moved, timeout=LIVE_MS)
    assert set(Job.objects.filter(pk__in=[w["q1"].pk, w["q2"].pk]).values_list("courier_id", flat=True)) == {
        w["b"].pk
    }
    screenshot(visit, "console-multi-select-moved")
    visit.assert_stays_on(server.http)


def test_a_long_lane_shows_its_first_cards_and_selected_jobs_not_on_screen_move_too(
    server: Worker, visit: Visit
) -> None:
    w = _world()  # two unassigned jobs, and a lane's page more: two of them are not rendered
    extra = elsewhere(
        lambda: [make_job(w["station"], w["supervisor"].ctx, service_date=w["day"]) for _ in range(LANE_PAGE)]
    )
    page = _login(visit, server.http, w["supervisor"])
    queue = page.locator('[data-lane-body="unassigned"] .card')
    more = page.locator('button.more[data-more="unassigned"]')
    assert queue.count() == LANE_PAGE and more.inner_text().startswith("2 ")
    unseen = extra[-1]
    assert _card(page, unseen).count() == 0
    # Selected as the map's box selects (the box finds stops, not cards), then one card dragged.
    page.evaluate("(ids) => window.parcelrunMap.pick(ids, false)", [str(w["q1"].pk), str(unseen.pk)])
    _drag(page, _card(page, w["q1"]), _lane(w["b"]))
    _give_reason(page, "two at once")
    page.wait_for_selector(f'{_lane(w["b"])} .card[data-job="{unseen.pk}"]', timeout=LIVE_MS)
    assert Job.objects.get(pk=unseen.pk).courier_id == w["b"].pk
    # The queue lost a card on screen: it is topped up from the server to a page again.
    page.wait_for_function(
        "(n) => document.querySelectorAll('[data-lane-body=\"unassigned\"] .card').length === n",
        arg=LANE_PAGE,
        timeout=LIVE_MS,
    )
    assert more.is_hidden()
    visit.assert_stays_on(server.http)


def test_a_conflict_is_shown_on_the_card_and_kept_until_dismissed(server: Worker, visit: Visit) -> None:
    w = _world()
    page = _login(visit, server.http, w["supervisor"])
    # Hold the page's refreshes back, so the card keeps the version it was drawn with while the
    # courier accepts the job (a handheld that synced just before the supervisor's drag).
    page.route("**/cards?*", lambda route: route.abort())
    elsewhere(job_accept, job_id=w["a2"].pk, ctx=w["a_person"].ctx)
    _drag(page, _card(page, w["a2"]), _lane(w["b"]))
    _give_reason(page, "rebalance")
    alert = _card(page, w["a2"]).locator(".card-alert")
    alert.wait_for(state="visible", timeout=LIVE_MS)
    assert "changed since you loaded it" in alert.inner_text()
    assert page.locator(_lane(w["a"])).locator(f'.card[data-job="{w["a2"].pk}"]').count() == 1  # put back
    assert Job.objects.get(pk=w["a2"].pk).courier_id == w["a"].pk
    page.unroute("**/cards?*")
    fresh = Job.objects.get(pk=w["a2"].pk).version
    page.wait_for_selector(f'.card[data-job="{w["a2"].pk}"][data-version="{fresh}"]', timeout=LIVE_MS)
    assert _card(page, w["a2"]).locator(".card-alert").is_visible()  # the refresh did not lose it
    screenshot(visit, "console-conflict")
    alert.click()
    assert not _card(page, w["a2"]).locator(".card-alert").is_visible()
    visit.assert_stays_on(server.http)


def test_a_card_moves_live_when_a_delivery_is_committed_elsewhere(server: Worker, visit: Visit) -> None:
    w = _world()
    page = _login(visit, server.http, w["supervisor"])
    assert page.locator(_lane(w["a"])).locator(".card").count() == 2
    courier_ctx = w["a_person"].ctx
    elsewhere(job_start, job_id=w["a1"].pk, ctx=courier_ctx)
    proof = ProofInput(
        method="photo", recipient_relation="self", media_sha256=["ab" * 32], cod_collected_fen=2000
    )
    elsewhere(job_deliver, job_id=w["a1"].pk, ctx=courier_ctx, proof=proof)  # not through the page
    page.wait_for_function(
        '([job]) => !document.querySelector(`.card[data-job="${job}"]`)', arg=[w["a1"].pk], timeout=LIVE_MS
    )
    # The card leaves at once; the lane's counters follow with the lane's refresh, also live.
    head = f'[data-lane-head="courier-{w["a"].pk}"]'
    page.wait_for_function(
        """([head]) => {
            const h = document.querySelector(head);
            return h && h.querySelector(".done").textContent.trim() === "1"
                && h.querySelector(".count").textContent.trim() === "1";
        }""",
        arg=[head],
        timeout=LIVE_MS,
    )
    screenshot(visit, "console-live-delivered")
    visit.assert_stays_on(server.http)


def test_a_storm_of_replans_is_coalesced_into_a_few_refreshes(server: Worker, visit: Visit) -> None:
    w = _world()
    page = _login(visit, server.http, w["supervisor"])
    base = timezone.now().replace(microsecond=0)

    def storm() -> None:
        for k in range(60):  # a re-plan that only moves ETAs, committed as fast as the database allows
            for seq, key in enumerate(("a1", "a2")):
                job_set_plan(
                    job_id=w[key].pk,
                    planned_seq=seq,
                    eta=base + timedelta(minutes=k),
                    ctx=w["supervisor"].ctx,
                )

    started = time.monotonic()
    elsewhere(storm)
    last = Job.objects.get(pk=w["a2"].pk).version
    page.wait_for_selector(f'.card[data-job="{w["a2"].pk}"][data-version="{last}"]', timeout=LIVE_MS)
    elapsed = time.monotonic() - started
    counts = page.evaluate("() => window.parcelrunBoard")
    assert counts["messages"] >= 120  # every job.planned reached the page …
    # … and was applied at most four times a second (one refresh per 250 ms), not once per message.
    assert counts["flushes"] <= elapsed / 0.25 + 2 and counts["flushes"] < counts["messages"] / 3
    visit.assert_stays_on(server.http)


def test_a_supervisor_of_one_station_sees_nothing_of_another(server: Worker, visit: Visit) -> None:
    w = _world()
    other = elsewhere(make_station)
    secret = elsewhere(lambda: make_job(other, make_supervisor(other).ctx, service_date=w["day"]))
    page = _login(visit, server.http, w["supervisor"])
    answer = page.goto(f"{server.http}/console/{other.code}/")
    assert answer.status == 404 and secret.shipment.tracking_no not in page.content()
    code = page.evaluate(
        """(path) => new Promise((resolve) => {
             const ws = new WebSocket(`ws://${location.host}${path}`);
             ws.onclose = (e) => resolve(e.code);
           })""",
        f"/ws/station/{other.code}/",
    )
    assert code == 4403
    visit.assert_stays_on(server.http)


def test_logging_out_in_one_tab_takes_the_board_off_the_screen_in_the_others(
    server: Worker, visit: Visit
) -> None:
    """Found by a review: the board in a second tab stayed live (names, phones, addresses, and
    every change after) once its person had logged out in the first. Now the logout closes the
    session's sockets (4401) and the other tab reloads into the login page."""
    w = _world()
    board = _login(visit, server.http, w["supervisor"])
    assert w["a1"].shipment.tracking_no in board.content()
    other_tab = board.context.new_page()
    other_tab.goto(f"{server.http}/console/{w['station'].code}/")
    other_tab.wait_for_selector("#live[data-state=live]", timeout=15_000)
    with board.expect_navigation(timeout=LIVE_MS):
        other_tab.click("form.logout button[type=submit]")
    board.wait_for_selector("input[name=username]", timeout=LIVE_MS)
    assert w["a1"].shipment.tracking_no not in board.content()
    assert board.url.startswith(f"{server.http}/?next=/console/")  # the front door, to come back after
    visit.assert_stays_on(server.http)


def test_a_supervisor_moved_to_another_station_loses_the_open_board_at_once(
    server: Worker, visit: Visit
) -> None:
    """The board of a station no longer theirs leaves the screen: the feed closes 4403
    ``access_revoked`` and the page reloads into the 404 of a station they do not run."""
    w = _world()
    other = elsewhere(make_station)
    page = _login(visit, server.http, w["supervisor"])
    assert w["a1"].shipment.tracking_no in page.content()
    sup = elsewhere(lambda: Supervisor.objects.get(user=w["supervisor"].user))
    with page.expect_navigation(timeout=LIVE_MS) as moved:
        elsewhere(supervisor_update, supervisor_id=sup.pk, changes={"station": other.pk})
    assert moved.value is not None and moved.value.status == 404
    assert w["a1"].shipment.tracking_no not in page.content()
    visit.assert_stays_on(server.http)
