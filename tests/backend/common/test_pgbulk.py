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


def test_errors_arrive_as_djangos_own(table) -> None:
    """A raw statement's failure is raised as Django raises its own cursors' (``retry_transient``
    catches django.db.OperationalError; callers catch IntegrityError)."""
    from django.db import IntegrityError, transaction

    with connection.cursor() as cur:
        cur.execute(f"CREATE UNIQUE INDEX ON {_TABLE} (n)")
    pgbulk.execute(f"INSERT INTO {_TABLE} (n) VALUES (%b)", [1])
    with pytest.raises(IntegrityError), transaction.atomic():
        pgbulk.execute(f"INSERT INTO {_TABLE} (n) VALUES (%b)", [1])
    assert [r[0] for r in _rows()] == [1]


def test_one_feed_row_takes_the_next_cursor_in_the_same_statement() -> None:
    """``feed.append`` outside a batch: counter bump and insert in one statement, as many rows as appends."""
    from django.db import transaction

    from backend.shipments import feed
    from backend.shipments.models import FeedEntry

    with transaction.atomic():
        first = feed.append("test.one", {"n": 1, "名": "张三"}, station_id=None, job_id=7)
        second = feed.append("test.one", {"n": 2})
    assert second.cursor == first.cursor + 1
    stored = FeedEntry.objects.get(pk=first.pk)
    assert (stored.cursor, stored.kind, stored.payload, stored.job_id, stored.station_id) == (
        first.cursor,
        "test.one",
        {"n": 1, "名": "张三"},
        7,
        None,
    )
    assert stored.created_at == first.created_at


def test_a_missing_feed_counter_is_seeded_from_the_feed() -> None:
    from django.db import transaction

    from backend.shipments import feed
    from backend.shipments.models import FeedCounter

    with transaction.atomic():
        before = feed.append("test.one", {})
    FeedCounter.objects.all().delete()  # a flushed database: the feed has rows, the counter none
    with transaction.atomic():
        after = feed.append("test.one", {})
    assert after.cursor == before.cursor + 1
