import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parcelkit.rules.pricing import ERROR_CODES, QuoteError, QuoteRequest, TariffBook, quote

CASES_PATH = Path(__file__).parents[3] / "parcelkit" / "rules" / "pricing_cases.json"
TABLE = json.loads(CASES_PATH.read_text(encoding="utf-8"))
BOOK = TariffBook.from_json(TABLE["tariff_book"])
CASES = TABLE["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_shared_case(case: dict) -> None:
    request = QuoteRequest(**case["request"])
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(QuoteError) as excinfo:
            quote(BOOK, request)
        assert excinfo.value.code == expect["error"]
        return
    result = quote(BOOK, request)
    assert [{"code": line.code, "amount_fen": line.amount_fen} for line in result.lines] == expect["lines"]
    assert result.total_fen == expect["total_fen"]
    assert result.actual_weight_g == expect["actual_weight_g"]
    assert result.volumetric_weight_g == expect["volumetric_weight_g"]
    assert result.chargeable_weight_g == expect["chargeable_weight_g"]


def test_the_table_covers_every_error_code() -> None:
    seen = {c["expect"]["error"] for c in CASES if "error" in c["expect"]}
    assert seen == set(ERROR_CODES)


def test_tariff_book_survives_a_json_round_trip() -> None:
    text = json.dumps(BOOK.to_json())
    again = TariffBook.from_json(json.loads(text))
    assert again.to_json() == BOOK.to_json() == TABLE["tariff_book"]


def test_tariff_book_rejects_a_row_with_a_missing_field() -> None:
    row = dict(TABLE["tariff_book"]["tariffs"][0])
    del row["step_g"]
    with pytest.raises(ValueError, match="step_g"):
        TariffBook.from_json({"tariffs": [row]})


def test_tariff_book_rejects_a_zero_step() -> None:
    row = dict(TABLE["tariff_book"]["tariffs"][0], step_g=0)
    with pytest.raises(ValueError, match="step_g"):
        TariffBook.from_json({"tariffs": [row]})


def test_tariff_book_rejects_duplicate_keys() -> None:
    row = TABLE["tariff_book"]["tariffs"][0]
    with pytest.raises(ValueError, match="duplicate"):
        TariffBook.from_json({"tariffs": [row, dict(row)]})


def test_quote_json_lists_lines_and_total() -> None:
    result = quote(BOOK, QuoteRequest("SZX", "GD", "standard", 1000, 100, 100, 100, declared_value_fen=10000))
    assert result.to_json() == {
        "lines": [
            {"code": "freight", "label": "Freight", "amount_fen": 1000},
            {"code": "insurance", "label": "Insurance", "amount_fen": 100},
        ],
        "total_fen": 1100,
        "actual_weight_g": 1000,
        "volumetric_weight_g": 125,
        "chargeable_weight_g": 1000,
    }


def test_a_waived_surcharge_adds_no_line() -> None:
    rows = [dict(t, fragile_fen=0) for t in TABLE["tariff_book"]["tariffs"]]
    book = TariffBook.from_json({"tariffs": rows})
    result = quote(book, QuoteRequest("SZX", "GD", "standard", 1000, 100, 100, 100, fragile=True))
    assert [line.code for line in result.lines] == ["freight"]


def test_bool_weight_is_rejected_not_priced_as_one_gram() -> None:
    with pytest.raises(QuoteError) as excinfo:
        quote(BOOK, QuoteRequest("SZX", "GD", "standard", True, 100, 100, 100))
    assert excinfo.value.code == "invalid_input"


# Properties over every tariff in the shared book, inside each tariff's limits.
valid_requests = st.builds(
    lambda key, w, dims, declared, cod, fragile, remote: QuoteRequest(
        key[0],
        key[1],
        key[2],
        w,
        *dims,
        declared_value_fen=declared,
        cod_amount_fen=cod,
        fragile=fragile,
        remote_area=remote,
    ),
    key=st.sampled_from([("SZX", "GD", "standard"), ("SZX", "GD", "express"), ("SZX", "XJ", "standard")]),
    w=st.integers(1, 20_000),
    dims=st.tuples(st.integers(1, 400), st.integers(1, 400), st.integers(1, 400)),
    declared=st.integers(0, 500_000),
    cod=st.integers(0, 10_000_000),
    fragile=st.booleans(),
    remote=st.booleans(),
)


@given(valid_requests, st.integers(1, 5_000))
def test_price_never_falls_when_the_parcel_gets_heavier(request: QuoteRequest, extra_g: int) -> None:
    heavier = replace(request, weight_g=min(request.weight_g + extra_g, 20_000))
    assert quote(BOOK, heavier).total_fen >= quote(BOOK, request).total_fen


@given(valid_requests, st.integers(1, 100))
def test_price_never_falls_when_the_box_gets_longer(request: QuoteRequest, extra_mm: int) -> None:
    longer = replace(request, length_mm=request.length_mm + extra_mm)
    assert quote(BOOK, longer).total_fen >= quote(BOOK, request).total_fen


@given(valid_requests)
def test_total_is_the_sum_of_lines_and_chargeable_covers_both_weights(request: QuoteRequest) -> None:
    result = quote(BOOK, request)
    assert result.total_fen == sum(line.amount_fen for line in result.lines)
    assert result.chargeable_weight_g >= max(result.actual_weight_g, result.volumetric_weight_g)
    tariff = BOOK.get(request.origin, request.destination_region, request.service_level)
    assert tariff is not None
    over_first = result.chargeable_weight_g - tariff.first_weight_g
    assert over_first >= 0 and over_first % tariff.step_g == 0
    # Rounding up never reaches a whole extra step.
    assert result.chargeable_weight_g - max(result.actual_weight_g, result.volumetric_weight_g) < max(
        tariff.step_g, tariff.first_weight_g
    )


@given(valid_requests)
def test_insurance_and_cod_lines_appear_exactly_when_asked_for(request: QuoteRequest) -> None:
    codes = [line.code for line in quote(BOOK, request).lines]
    assert ("insurance" in codes) == (request.declared_value_fen > 0)
    assert ("cod_fee" in codes) == (request.cod_amount_fen > 0)
    assert ("fragile" in codes) == request.fragile
    assert ("remote_area" in codes) == request.remote_area
