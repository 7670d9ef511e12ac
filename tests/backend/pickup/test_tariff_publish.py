"""Publishing a tariff book: validated by the handheld's own parser, versioned, announced on the feed."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from backend.common.errors import DomainError
from backend.couriers.models import Station
from backend.pickup import selectors, services
from backend.pickup.models import TariffBookVersion
from backend.shipments.models import FeedEntry
from parcelkit.rules.pricing import TariffBook
from tests.backend.api.conftest import Api
from tests.backend.pickup.conftest import TABLE
from tests.fixtures.people import Person, make_supervisor

BOOK = TABLE["tariff_book"]


def _with_row(**changes: Any) -> dict[str, Any]:
    book = copy.deepcopy(BOOK)
    book["tariffs"][0].update(changes)
    return book


def test_publish_stores_the_book_as_to_json_with_the_new_version(
    szx: Station, szx_supervisor: Person
) -> None:
    first = services.tariff_book_publish(ctx=szx_supervisor.ctx, origin="SZX", book_json=BOOK)
    second = services.tariff_book_publish(ctx=szx_supervisor.ctx, origin="SZX", book_json=BOOK)
    assert (first.version, second.version) == (1, 2)
    assert second.book == TariffBook.from_json(BOOK).to_json() | {"version": "2"}
    assert selectors.tariff_book_current("SZX") == second
    assert (second.station, second.effective_date) == (szx, timezone.localdate())


def test_publish_appends_a_station_feed_row(szx: Station, szx_supervisor: Person) -> None:
    row = services.tariff_book_publish(ctx=szx_supervisor.ctx, origin="SZX", book_json=BOOK)
    entry = FeedEntry.objects.get(kind="tariff.published")
    assert (entry.station_id, entry.payload) == (szx.pk, {"origin": "SZX", "version": row.version})


@pytest.mark.parametrize(
    ("book", "why"),
    [
        ({"tariffs": []}, "at least one"),
        ([BOOK], "JSON object"),
        ({"version": "x"}, "tariffs"),
        (_with_row(step_g=0), "step_g"),
        (_with_row(first_price_fen=-1), "first_price_fen"),
        (_with_row(first_price_fen=1.5), "first_price_fen"),
        (_with_row(first_price_fen=2**40), "too large"),
        (_with_row(colour="red"), "colour"),
        (_with_row(origin="PEK"), "PEK"),
        ({"tariffs": [BOOK["tariffs"][0], BOOK["tariffs"][0]]}, "duplicate"),
        ({"tariffs": ["not a row"]}, "tariff"),
    ],
)
def test_a_bad_book_is_refused_and_nothing_is_stored(
    book: Any, why: str, szx: Station, szx_supervisor: Person
) -> None:
    with pytest.raises(DomainError) as exc:
        services.tariff_book_publish(ctx=szx_supervisor.ctx, origin="SZX", book_json=book)
    assert exc.value.code == "invalid_tariff_book"
    assert why in exc.value.message
    assert not TariffBookVersion.objects.exists()
    assert not FeedEntry.objects.filter(kind="tariff.published").exists()


def test_a_back_dated_book_is_refused(szx: Station, szx_supervisor: Person) -> None:
    with pytest.raises(DomainError) as exc:
        services.tariff_book_publish(
            ctx=szx_supervisor.ctx,
            origin="SZX",
            book_json=BOOK,
            effective_date=timezone.localdate() - timedelta(days=1),
        )
    assert exc.value.code == "invalid_tariff_book"


def test_roles_over_the_api(
    api: Api,
    szx: Station,
    szx_supervisor: Person,
    szx_courier: tuple[Any, Person],
    admin: Person,
    other_station: Station,
) -> None:
    url = "/api/v1/tariffs/SZX"
    other_supervisor = make_supervisor(other_station)
    assert api.post(url, {"book": BOOK}).status_code == 401
    refused = api.post(url, {"book": BOOK}, as_=szx_courier[1])
    assert (refused.status_code, refused.json()["code"]) == (403, "wrong_role")
    refused = api.post(url, {"book": BOOK}, as_=other_supervisor)
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert api.post("/api/v1/tariffs/NOPE", {"book": BOOK}, as_=admin).status_code == 404
    created = api.post(url, {"book": BOOK}, as_=szx_supervisor)
    assert created.status_code == 201
    assert created.json()["version"] == 1
    assert api.post(url, {"book": BOOK}, as_=admin).json()["version"] == 2
    bad = api.post(url, {"book": _with_row(step_g=0)}, as_=admin)
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_tariff_book")


def test_the_handheld_downloads_the_current_book_and_prices_with_it(
    api: Api, szx: Station, szx_supervisor: Person, szx_courier: tuple[Any, Person]
) -> None:
    url = "/api/v1/tariffs/SZX"
    missing = api.get(url, szx_courier[1])
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    services.tariff_book_publish(ctx=szx_supervisor.ctx, origin="SZX", book_json=BOOK)
    body = api.get(url, szx_courier[1]).json()
    assert (body["origin"], body["version"]) == ("SZX", 1)
    book = TariffBook.from_json(body["book"])  # exactly what the handheld does with it
    assert book.version == "1"
    assert book.to_json()["tariffs"] == BOOK["tariffs"]


def test_the_demo_book_is_published_once_and_prices_the_demo_regions(szx: Station) -> None:
    from backend.demo.tariffs import REGION_ZONES, ensure_demo_tariff_book
    from parcelkit.rules.pricing import QuoteRequest

    first = ensure_demo_tariff_book(szx)
    assert ensure_demo_tariff_book(szx) == first
    assert TariffBookVersion.objects.filter(origin="SZX").count() == 1
    for region in REGION_ZONES:
        for level in ("standard", "express"):
            request = QuoteRequest("SZX", region, level, 1000, 100, 100, 100)
            quote, row = selectors.quote_for(request)
            assert (quote.total_fen > 0, row) == (True, first)
