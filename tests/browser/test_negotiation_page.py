"""A customer opens their link on a phone, sees the parcel, chooses a window, confirms and sees
the result; a bad link shows its page; both languages; axe-core finds nothing serious; every
request stays on the server."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import time_machine
from django.db import connection

from backend.negotiation.links import link_issue
from backend.negotiation.models import Consent
from tests.backend.negotiation.conftest import NOW, failed_job, offer
from tests.fixtures.browser import Visit, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

T = TypeVar("T")
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
PHONE = {"width": 360, "height": 640}


@pytest.fixture
def phone(chromium: object) -> Iterator[Visit]:
    # bypass_csp: the page forbids inline scripts, and axe-core is injected as one (test only).
    context = chromium.new_context(viewport=PHONE, bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    seen = Visit(page=page)
    page.on("request", lambda request: seen.requests.append(request.url))
    yield seen
    context.close()


def off_the_loop(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a thread: services publish with async_to_sync, which refuses the main thread
    while Playwright's event loop runs there."""
    box: list[T] = []

    def run() -> None:
        try:
            box.append(fn())
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=60)
    return box[0]


def serious_violations(visit: Visit) -> list[str]:
    page = visit.page
    page.add_script_tag(path=str(AXE))  # type: ignore[attr-defined]
    found = page.evaluate(  # type: ignore[attr-defined]
        "async () => (await axe.run()).violations.map(v => [v.id, v.impact])"
    )
    return [f"{rule} ({impact})" for rule, impact in found if impact in ("serious", "critical")]


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        (
            "en",
            (
                "Delivery attempt failed",
                "Today 14:00–15:00",
                "Please confirm",
                "Confirm",
                "We have your choice",
            ),
        ),
        ("zh", ("派送未成功", "今天 14:00–15:00", "请确认", "确认", "已收到您的选择")),
    ],
)
def test_a_customer_chooses_a_window_on_a_phone(  # type: ignore[no-untyped-def]
    live_server, phone: Visit, station, supervisor, courier, lang: str, texts: tuple[str, ...]
) -> None:
    status, window, confirm_title, confirm, done = texts
    with time_machine.travel(NOW, tick=True):
        n = off_the_loop(lambda: offer(failed_job(station, supervisor, courier), supervisor.ctx))
        token, _, _ = link_issue(negotiation_id=n.pk, shipment_id=n.shipment_id, now=NOW)
        base = str(live_server.url)
        page = phone.page
        page.set_extra_http_headers({"Accept-Language": "zh-CN,zh" if lang == "zh" else "en-US,en"})  # type: ignore[attr-defined]
        page.goto(f"{base}/n/{token}/")  # type: ignore[attr-defined]
        page.get_by_text(status).wait_for()  # type: ignore[attr-defined]
        assert serious_violations(phone) == []
        screenshot(phone, f"negotiation-{lang}-options")
        page.get_by_role("button", name=window).click()  # type: ignore[attr-defined]
        page.get_by_text(confirm_title).wait_for()  # type: ignore[attr-defined]
        screenshot(phone, f"negotiation-{lang}-confirm")
        page.get_by_role("button", name=confirm, exact=True).click()  # type: ignore[attr-defined]
        page.get_by_text(done).wait_for()  # type: ignore[attr-defined]
        assert serious_violations(phone) == []
        screenshot(phone, f"negotiation-{lang}-result")
        assert Consent.objects.get().shown_text == window
        page.goto(f"{base}/n/{token[:-4]}AAAA/")  # type: ignore[attr-defined]
        page.get_by_text("This link is not valid" if lang == "en" else "此链接无效").wait_for()  # type: ignore[attr-defined]
        assert serious_violations(phone) == []
        screenshot(phone, f"negotiation-{lang}-bad-link")
    phone.assert_stays_on(base)
