"""The unit of work's bulk UPDATE sends a column's values as Django would prepare them, skipping
the per-value call only where Django returns the value itself (``unit._db_values``)."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

from backend.shipments.models import Job
from backend.shipments.services.unit import _db_values


def _django(name: str, values: list[object]) -> list[object]:
    column = Job._meta.get_field(name)
    return [column.get_db_prep_save(v, connection) for v in values]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("planned_seq", [0, 7, None, 149]),
        ("version", [1, 2]),
        ("eta", [datetime(2026, 12, 4, 1, 30, tzinfo=UTC), None]),
        ("eta", [datetime(2026, 12, 4, 9, 30, tzinfo=timezone(timedelta(hours=8)))]),
        ("updated_at", [datetime(2026, 12, 4, 1, 30, 5, 123456, tzinfo=UTC)]),
    ],
)
def test_values_django_passes_through_are_sent_as_they_are(name: str, values: list[object]) -> None:
    assert _db_values(Job._meta.get_field(name), values) == _django(name, values)  # type: ignore[arg-type]


def test_anything_else_takes_djangos_own_path() -> None:
    naive = datetime(2026, 12, 4, 1, 30)  # noqa: DTZ001  # naive on purpose: the case Django warns about
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sent = _db_values(Job._meta.get_field("eta"), [naive])  # type: ignore[arg-type]
        expected = _django("eta", [naive])
    assert sent == expected and sent[0] is not naive  # made aware, as Django does
    assert any("naive datetime" in str(w.message) for w in caught)
    assert _db_values(Job._meta.get_field("planned_seq"), ["3"]) == [3]  # type: ignore[arg-type]
