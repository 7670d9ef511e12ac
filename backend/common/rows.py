"""Model instances from hand-written SQL, for the few reads every change makes.

The ORM compiles a queryset's SQL on every call: for ``lock_job`` (a job and its shipment, ~80
columns) that compile cost more CPU than the database spent on the statement (measured: about
a third of a reassignment's 4.3 ms). Here the column list and the per-column converters are built
once per model, and rows become instances through ``Model.from_db`` with the same converters the
ORM applies (JSON fields, durations, the fields' own ``from_db_value``), over Django's own cursor
(its connection's type loaders, its exception classes).

On other databases (SQLite: no row locks) ``by_pk`` and the callers' own statements fall back to
the ORM.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class Shape:
    """What reading a model's row needs: its columns, in the order ``from_db`` takes them."""

    table: str
    attnames: list[str]
    columns: list[str]
    converters: list[tuple[int, Any, list[Converter]]]  # (position, column expression, converters)

    def select(self, alias: str) -> str:
        """The select list with the table aliased: ``alias."col", …``."""
        return ", ".join(f'{alias}."{column}"' for column in self.columns)

    def build(self, model: type[M], values: Sequence[Any]) -> M:
        row = list(values)
        for i, expression, converters in self.converters:
            value = row[i]
            for convert in converters:
                value = convert(value, expression, connection)
            row[i] = value
        return model.from_db(connection.alias, self.attnames, row)


@functools.cache
def shape(model: type[Model]) -> Shape:
    fields = model._meta.concrete_fields
    converters = []
    for i, field in enumerate(fields):
        expression = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(expression) + field.get_db_converters(connection)
        if found:
            converters.append((i, expression, found))
    return Shape(
        table=model._meta.db_table,
        attnames=[f.attname for f in fields],
        columns=[str(f.column) for f in fields],
        converters=converters,
    )


def fetch(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """The statement's first row, over Django's cursor (inside the current transaction)."""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
    return None if row is None else tuple(row)


@functools.cache
def _by_pk_sql(model: type[Model]) -> str:
    s = shape(model)
    return f'SELECT {s.select("t")} FROM "{s.table}" t WHERE t."{model._meta.pk.column}" = %s'


def by_pk(model: type[M], pk: Any) -> M | None:
    """``model.objects.filter(pk=pk).first()`` without the compile; None when there is no such row."""
    if connection.vendor != "postgresql":
        return model._default_manager.filter(pk=pk).first()
    row = fetch(_by_pk_sql(model), [pk])
    return None if row is None else shape(model).build(model, row)
