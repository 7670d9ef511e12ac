"""The API docs page works on a closed network: Swagger UI comes from the server, not a CDN."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import Visit, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_the_schema_without_leaving_the_server(live_server: object, visit: Visit) -> None:
    base = str(live_server.url)  # type: ignore[attr-defined]
    page = visit.page
    page.goto(f"{base}/api/docs/")  # type: ignore[attr-defined]
    page.wait_for_selector("text=Parcelrun API", timeout=15_000)  # type: ignore[attr-defined]
    screenshot(visit, "api-docs")
    visit.assert_stays_on(base)
    assert any(url.endswith("swagger-ui-bundle.js") for url in visit.requests)
