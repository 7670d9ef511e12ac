"""POST /api/v1/quotes runs the shared table of cases: the server's quote is the handheld's, case by case."""

from __future__ import annotations

from typing import Any

import pytest

from backend.pickup.models import TariffBookVersion
from parcelkit.rules.pricing import QuoteError, QuoteRequest, TariffBook, quote
from tests.backend.api.conftest import Api
from tests.backend.pickup.conftest import TABLE
from tests.fixtures.people import Person

CASES = TABLE["cases"]
# The handheld's offline book: what GET /api/v1/tariffs/SZX hands it (the table's book).
OFFLINE_BOOK = TariffBook.from_json(TABLE["tariff_book"])


def _offline(request: dict[str, Any]) -> dict[str, Any]:
    try:
        return {"quote": quote(OFFLINE_BOOK, QuoteRequest(**request)).to_json()}
    except QuoteError as exc:
        return {"error": exc.code}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_server_quote_equals_offline_quote(
    case: dict[str, Any], api: Api, szx_book: TariffBookVersion, szx_courier: tuple[Any, Person]
) -> None:
    response = api.post("/api/v1/quotes", case["request"], as_=szx_courier[1])
    body = response.json()
    offline = _offline(case["request"])
    expect = case["expect"]
    if "error" in expect:
        assert offline == {"error": expect["error"]}
        assert response.status_code == 400, body
        assert body["code"] == expect["error"]
        assert set(body) == {"code", "message", "details"}
        assert "total_fen" not in body
        return
    assert response.status_code == 200, body
    assert {k: v for k, v in body.items() if k not in ("origin", "tariff_version")} == offline["quote"]
    assert body["total_fen"] == expect["total_fen"]
    assert [{"code": line["code"], "amount_fen": line["amount_fen"]} for line in body["lines"]] == expect[
        "lines"
    ]
    assert (body["origin"], body["tariff_version"]) == ("SZX", szx_book.version)


def test_the_server_run_covers_every_error_code() -> None:
    from parcelkit.rules.pricing import ERROR_CODES

    assert {c["expect"]["error"] for c in CASES if "error" in c["expect"]} == set(ERROR_CODES)


BASE = dict(CASES[0]["request"])


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (BASE | {"weight_g": "1000"}, "invalid_input"),  # DRF would coerce it; the shared rules do not
        (BASE | {"fragile": "yes"}, "invalid_input"),
        (BASE | {"colour": "red"}, "invalid_input"),
        ({k: v for k, v in BASE.items() if k != "height_mm"}, "invalid_input"),
        ([BASE], "invalid_input"),
        (BASE | {"origin": 7}, "invalid_input"),
        (BASE | {"origin": "S\x00Z"}, "invalid_input"),  # was a 500: PostgreSQL text refuses NUL
        (
            BASE | {"origin": "PEK", "weight_g": 1.5},
            "invalid_input",
        ),  # no book for PEK, but the type is checked first
    ],
)
def test_malformed_requests_get_a_code_never_a_price(
    body: Any, code: str, api: Api, szx_book: TariffBookVersion, szx_courier: tuple[Any, Person]
) -> None:
    response = api.post("/api/v1/quotes", body, as_=szx_courier[1])
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_any_role_may_quote_and_anonymous_may_not(
    api: Api, szx_book: TariffBookVersion, szx_supervisor: Person, admin: Person
) -> None:
    for person in (szx_supervisor, admin):
        assert api.post("/api/v1/quotes", BASE, as_=person).json()["total_fen"] == 1000
    assert api.post("/api/v1/quotes", BASE).status_code == 401


def test_a_book_not_yet_in_effect_does_not_price(api: Api, szx: Any, szx_courier: tuple[Any, Person]) -> None:
    from datetime import timedelta

    from backend.couriers.selectors import station_today
    from backend.pickup import services
    from tests.fixtures.people import make_admin

    services.tariff_book_publish(
        ctx=make_admin().ctx,
        origin="SZX",
        book_json=TABLE["tariff_book"],
        effective_date=station_today(szx) + timedelta(days=1),  # tomorrow at the station
    )
    response = api.post("/api/v1/quotes", BASE, as_=szx_courier[1])
    assert (response.status_code, response.json()["code"]) == (400, "no_tariff_for_destination")


def test_every_quote_error_code_is_a_declared_400() -> None:
    from backend.common.errors import STATUS
    from parcelkit.rules.pricing import ERROR_CODES

    assert {code: STATUS.get(code) for code in ERROR_CODES} == dict.fromkeys(ERROR_CODES, 400)
