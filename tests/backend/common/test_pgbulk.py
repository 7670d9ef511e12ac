"""pgbulk.insert_unnest: many rows in one statement, equal columns sent once (PostgreSQL only)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from backend.common import pgbulk

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="set-based SQL for PostgreSQL"),
]

_TABLE = "pgbulk_probe"


@pytest.fixture
def table():
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE {_TABLE} (n bigint, label text, doc jsonb, at timestamptz, x float8)")
    yield
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE {_TABLE}")


def _rows() -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT n, label, doc::text, at, x FROM {_TABLE} ORDER BY n")
        return cur.fetchall()


def test_varying_and_equal_columns_and_a_numbered_one_land_row_by_row(table) -> None:
    at = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    out = pgbulk.insert_unnest(
        _TABLE,
        [
            ("label", "text", ["a", "b", "c"]),
            ("doc", "jsonb", [{"k": 1}, {"k": "二"}, {}]),
            ("at", "timestamptz", [at, at, at]),  # equal: one scalar
            ("x", "float8", [None, None, None]),  # equal and empty: SQL NULL, not JSON null
        ],
        numbered=("n", 41),
        suffix="RETURNING n",
    )
    assert out == [(41,), (42,), (43,)]
    assert _rows() == [
        (41, "a", '{"k": 1}', at, None),
        (42, "b", '{"k": "二"}', at, None),
        (43, "c", "{}", at, None),
    ]


def test_every_column_equal_still_gives_one_row_each(table) -> None:
    pgbulk.insert_unnest(
        _TABLE, [("label", "text", ["same"] * 3), ("doc", "jsonb", [None] * 3)], numbered=("n", 1)
    )
    assert [(n, label, doc) for n, label, doc, _, _ in _rows()] == [
        (1, "same", None),
        (2, "same", None),
        (3, "same", None),
    ]
