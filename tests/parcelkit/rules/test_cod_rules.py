"""The collection rule both sides run (parcelkit/rules/cod.py)."""

from __future__ import annotations

import pytest

from parcelkit.rules.cod import check_collection


@pytest.mark.parametrize(
    ("expected", "collected", "method", "ref", "ok"),
    [
        (0, 0, "cash", "", True),  # nothing due, nothing taken
        (0, 100, "cash", "", False),  # money for a parcel without COD
        (5000, 5000, "cash", "", True),
        (5000, 4999, "cash", "", False),  # partial: a failed attempt, not a delivery
        (5000, 5001, "cash", "", False),
        (5000, 5000, "wechat", "", False),  # a mobile payment needs its reference
        (5000, 5000, "wechat", "4200001", True),
        (5000, 5000, "alipay", " 2026 ", True),
        (5000, 5000, "qr", "x" * 65, False),
        (5000, 5000, "cheque", "", False),
        (5000, True, "cash", "", False),  # a checkbox is not an amount
        (5000, -5000, "cash", "", False),
        (5000, "5000", "cash", "", False),
    ],
)
def test_check_collection(expected, collected, method, ref, ok) -> None:
    problems = check_collection(
        expected_fen=expected, collected_fen=collected, method=method, payment_ref=ref
    )
    assert (problems == []) is ok, problems
