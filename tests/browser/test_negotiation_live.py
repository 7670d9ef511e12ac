"""The customer's page live, in real Chromium against a real ASGI server (daphne, PostgreSQL, Redis).

A customer opens their link on a phone and sees the parcel's status and ETA; the station re-plans
the courier and loads the parcel out from another thread, and the page follows without a reload;
the customer chooses a window and confirms; the courier's own websocket feed receives the changed
job, and the handheld core's pull against the same server shows it. A customer whose courier is
already close gets a page that says so and offers only what is still possible, and a page left
open hides the window as the courier comes within the cut-off. The page's CSP is enforced (no
bypass): the live script is a static file, and every request and socket stays on the server.

The server runs at the fixtures' instant (10:00 at the station) through the suite's clock shim
(tests/clock_shim), like the test itself.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from websockets.sync.client import connect as ws_connect

from backend.couriers.models import Courier
from backend.negotiation.links import link_issue
from backend.negotiation.models import Negotiation
from backend.shipments import services as svc
from backend.shipments.models import Job
from backend.shipments.services.planning import job_set_plan
from bench.asgi_workers import ROOT, Worker, start_workers, stop_workers
from mobile.core import Config, Core
from tests.backend.negotiation.conftest import NOW, offer
from tests.browser.servers import elsewhere
from tests.clock import OFFSET_ENV, SHIM_DIR
from tests.fixtures.browser import Visit, screenshot
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person, make_courier, make_station, make_supervisor
from tests.servers import database_url

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]
PHONE = {"width": 360, "height": 640}
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
LIVE_MS = 10_000  # generous for a loaded 2-core machine
TZ = ZoneInfo(str(NOW.tzinfo))
WORDS = {
    "en": {
        "at_station": "At the delivery station",
        "out": "Out for delivery",
        "window": "Today 14:00–15:00",
        "confirm": "Confirm",
        "done": "We have your choice",
        "near": "Your courier is nearly there",
        "still": "You can still choose:",
        "station": "Collect at the station",
        "live_cutoff": "the time and the address can no longer be changed",
    },
    "zh": {
        "at_station": "已到达派送站",
        "out": "派送中",
        "window": "今天 14:00–15:00",
        "confirm": "确认",
        "done": "已收到您的选择",
        "near": "快递员即将到达",
        "still": "您仍可以选择：",
        "station": "在站点自取",
        "live_cutoff": "已无法更改派送时间或地址",
    },
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Worker]:
    # The server's clock starts at the fixtures' instant (the shim shifts the real clock by this much).
    hatch = time_machine.escape_hatch
    real_ns = hatch.time.time_ns() if hatch.is_travelling() else time.time_ns()
    offset = int(NOW.timestamp() * 1e9) - real_ns
    path = os.pathsep.join(p for p in (str(ROOT), str(SHIM_DIR), os.environ.get("PYTHONPATH", "")) if p)
    workers = start_workers(
        1,
        database_url=database_url(),
        redis_url=settings.REDIS_URL,
        log_dir=tmp_path / "logs",
        extra_env={"FAST_PASSWORD_HASHER": "True", OFFSET_ENV: str(offset), "PYTHONPATH": path},
    )
    yield workers[0]
    stop_workers(workers)


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@dataclass
class Phone:
    visit: Visit
    sockets: list[str]  # every websocket the page opened
    csp: list[str]  # every Content-Security-Policy complaint on the console

    @property
    def page(self) -> Any:
        return self.visit.page

    def assert_stays_on(self, server: Worker) -> None:
        self.visit.assert_stays_on(server.http)
        assert self.sockets and all(s.startswith(f"{server.ws}/ws/shipment/") for s in self.sockets), (
            self.sockets
        )
        assert self.csp == []


@pytest.fixture
def phone(chromium: Any) -> Iterator[Phone]:
    """A phone-sized context with the page's CSP enforced (no bypass), everything it asks recorded."""
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    seen = Phone(Visit(page=page), [], [])
    page.on("request", lambda request: seen.visit.requests.append(request.url))
    page.on("websocket", lambda ws: seen.sockets.append(ws.url))
    page.on("console", lambda m: seen.csp.append(m.text) if "Content Security Policy" in m.text else None)
    yield seen
    context.close()


@dataclass
class Route:
    supervisor: Person
    courier: Courier
    courier_person: Person
    jobs: list[Job]  # in planned order, ETAs 20 minutes apart from 10:30


def _route(stops: int) -> Route:
    station = make_station()
    supervisor = make_supervisor(station)
    courier, person = make_courier(station)
    jobs = []
    for seq in range(stops):
        job = make_job(station, supervisor.ctx, service_date=NOW.date())
        svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
        svc.job_assign(job_id=job.pk, courier_id=courier.pk, ctx=supervisor.ctx)
        eta = NOW + timedelta(minutes=30 + 20 * seq)
        jobs.append(job_set_plan(job_id=job.pk, planned_seq=seq, eta=eta, ctx=supervisor.ctx))
    return Route(supervisor, courier, person, jobs)


def _link(route: Route, job: Job) -> str:
    n: Negotiation = offer(job, route.supervisor.ctx, trigger="courier", reason_code="")
    token, _, _ = link_issue(negotiation_id=n.pk, shipment_id=n.shipment_id, now=NOW)
    return token


def _open(phone: Phone, base: str, token: str, lang: str) -> Any:
    page = phone.page
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh" if lang == "zh" else "en-US,en"})
    page.goto(f"{base}/n/{token}/")
    page.wait_for_selector("#live[data-live=on]", timeout=LIVE_MS)  # the feed is open
    return page


def _text_is(page: Any, selector: str, text: str) -> None:
    page.wait_for_function(
        "([s, t]) => document.querySelector(s).textContent.trim() === t",
        arg=[selector, text],
        timeout=LIVE_MS,
    )


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical findings. Evaluated through the DevTools protocol, which the
    page's CSP does not govern, so the policy stays enforced (no bypass) for the page's own code."""
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("async () => (await axe.run()).violations.map(v => [v.id, v.impact])")
    return [f"{rule} ({impact})" for rule, impact in found if impact in ("serious", "critical")]


def _until(sock: Any, want: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    deadline = time.monotonic() + LIVE_MS / 1000
    while time.monotonic() < deadline:
        message = json.loads(sock.recv(timeout=max(0.1, deadline - time.monotonic())))
        if want(message):
            return message
    raise AssertionError("the courier's feed never carried the change")


def _agreed(job: dict[str, Any]) -> tuple[datetime | None, str]:
    start = job["window_start"]
    return (None if start is None else datetime.fromisoformat(start)), job["next_step"].get("kind", "")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_customer_sees_the_eta_move_chooses_a_window_and_the_courier_gets_it(  # type: ignore[no-untyped-def]
    server: Worker, clock: None, phone: Phone, tmp_path: Path, lang: str
) -> None:
    words = WORDS[lang]
    route = elsewhere(_route, 4)
    job = route.jobs[3]  # three stops before it, due 11:30: well before the cut-off
    token = elsewhere(_link, route, job)
    handheld = Core(
        Config(
            data_dir=tmp_path / "phone", server_url=server.http, pbkdf2_iterations=1000, time_zone=str(TZ)
        ),
        live=False,
    )
    handheld.login(route.courier.employee_no, "courier-pass-1")
    assert handheld.job(job.pk)["window_start"] is None

    page = _open(phone, server.http, token, lang)
    _text_is(page, "#status", words["at_station"])
    _text_is(page, "#eta", "11:30")
    # The station re-plans the courier and loads the parcel out, from other threads: the page follows.
    elsewhere(
        job_set_plan,
        job_id=job.pk,
        planned_seq=3,
        eta=NOW.replace(hour=11, minute=5),
        ctx=route.supervisor.ctx,
    )
    _text_is(page, "#eta", "11:05")
    elsewhere(
        svc.scan, tracking_no=job.shipment.tracking_no, scan_kind="loaded_out", ctx=route.supervisor.ctx
    )
    _text_is(page, "#status", words["out"])
    assert serious_violations(page) == []
    screenshot(phone.visit, f"negotiation-live-{lang}-eta")

    # The courier's handheld is listening on its own feed (a real websocket client) when the customer answers.
    with ws_connect(f"{server.ws}/ws/courier/?token={route.courier_person.token}") as feed:
        assert json.loads(feed.recv(timeout=5))["type"] == "session.ready"
        page.get_by_role("button", name=words["window"]).click()
        page.get_by_role("button", name=words["confirm"], exact=True).click()
        page.get_by_text(words["done"]).wait_for()
        _text_is(page, "#agreed", "14:00–15:00")
        screenshot(phone.visit, f"negotiation-live-{lang}-result")
        got = _until(feed, lambda m: m["type"] == "job.updated" and m["payload"]["job"]["id"] == job.pk)
    assert _agreed(got["payload"]["job"]) == (NOW.replace(hour=14), "new_window")
    assert handheld.sync_now() is not None
    assert _agreed(handheld.job(job.pk)) == (NOW.replace(hour=14), "new_window")
    handheld.store.close()
    phone.assert_stays_on(server)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_past_the_cutoff_the_page_says_so_and_a_page_left_open_follows_the_courier(  # type: ignore[no-untyped-def]
    server: Worker, clock: None, phone: Phone, lang: str
) -> None:
    words = WORDS[lang]
    route = elsewhere(_route, 5)
    near, far = route.jobs[1], route.jobs[4]  # one stop before near: past the cut-off; four before far
    near_token, far_token = elsewhere(_link, route, near), elsewhere(_link, route, far)
    page = _open(phone, server.http, near_token, lang)
    page.get_by_role("heading", name=words["near"]).wait_for()
    page.get_by_text(words["still"]).wait_for()
    assert page.get_by_role("button", name=words["window"]).count() == 0
    assert page.get_by_role("button", name=words["station"]).is_visible()
    assert serious_violations(page) == []
    screenshot(phone.visit, f"negotiation-cutoff-{lang}")

    page = _open(phone, server.http, far_token, lang)
    window = page.get_by_role("button", name=words["window"])
    assert window.is_visible()
    # The courier is re-planned to be at the door in ten minutes: the page hides the window by itself.
    elsewhere(
        job_set_plan, job_id=far.pk, planned_seq=4, eta=NOW + timedelta(minutes=10), ctx=route.supervisor.ctx
    )
    page.get_by_text(words["live_cutoff"]).wait_for(timeout=LIVE_MS)
    assert window.is_hidden() and page.get_by_role("button", name=words["station"]).is_visible()
    screenshot(phone.visit, f"negotiation-cutoff-live-{lang}")
    phone.assert_stays_on(server)
