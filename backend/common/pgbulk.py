"""Set-based statements on PostgreSQL with server-side, binary parameters.

Django's psycopg 3 backend binds parameters client-side: it quotes every value into the SQL text,
which for arrays of thousands of strings and JSON documents costs more than the insert itself
(measured: 140 ms of quoting for a 500-row feed block). Statements here use ``%b`` placeholders on
a plain psycopg cursor over Django's own connection, so they run inside the current transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from django.db import connection

_OPTIONS = orjson.OPT_NON_STR_KEYS  # as json.dumps: {1: …} becomes {"1": …}


def dumps_json(value: Any) -> bytes:
    """JSON for a jsonb parameter; orjson writes a 600-byte snapshot in a tenth of json.dumps' time."""
    return orjson.dumps(value, option=_OPTIONS)


def jsonb(value: Any) -> Any:
    """A jsonb parameter for ``execute`` (binary, written by ``dumps_json``)."""
    from psycopg.types.json import Jsonb

    return Jsonb(value, dumps=dumps_json)


def execute(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description else []
