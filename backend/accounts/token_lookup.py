"""The token → user read every API request makes, as one hand-written statement.

It is the same read as ``ApiToken.objects.select_related("user", "user__courier",
"user__supervisor", "user__station_manager").filter(key_hash=…)``: the token, its user, and the
user's courier, supervisor or station-manager row (None when the user has none), cached on the
instances exactly as ``select_related`` caches them, so ``principal_of`` and the views touch no
further query (but a manager's stations: one more, for managers only). Building that statement
through the ORM cost about 2 ms of CPU on every request, more than the rest of authentication
together, which showed when 50 handover confirmations arrived at once (docs/cod.md, "Bench"); the
statement is built once per database vendor from the models' own metadata instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Field, Model

from backend.accounts.models import ApiToken

# The user's roles, as ``principal_of`` reads them: reverse one-to-ones named on the user (the
# models live in a layer above this app, so they are reached through the user's relations).
ROLES = ("courier", "supervisor", "station_manager")

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Part:
    model: type[Model]
    alias: str
    attnames: list[str]
    # (column index, its expression, the converters the ORM would run on it: none on PostgreSQL)
    converters: list[tuple[int, Any, list[Converter]]]

    def build(self, values: Sequence[Any]) -> Model | None:
        row = list(values)
        if row[0] is None:  # the primary key: an outer join that found nothing
            return None
        for i, col, converters in self.converters:
            for convert in converters:
                row[i] = convert(row[i], col, connection)
        return self.model.from_db(connection.alias, self.attnames, row)


def _part(model: type[Model], alias: str) -> _Part:
    fields: list[Field[Any, Any]] = list(model._meta.concrete_fields)
    converters = []
    for i, f in enumerate(fields):
        col = f.get_col(alias)
        found = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
        if found:
            converters.append((i, col, found))
    return _Part(model, alias, [f.attname for f in fields], converters)


def q(name: str | None) -> str:
    """A quoted column or table name (a concrete field always has a column)."""
    assert name is not None
    return connection.ops.quote_name(name)


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, Field)
    return q(field.column)


@cache
def _statement(vendor: str) -> tuple[str, list[_Part]]:
    user_model = get_user_model()
    user_pk = q(user_model._meta.pk.column if user_model._meta.pk else None)
    parts = [_part(ApiToken, "t"), _part(user_model, "u")]
    joins = [
        f"{q(ApiToken._meta.db_table)} t JOIN {q(user_model._meta.db_table)} u "
        f"ON u.{user_pk} = t.{_column(ApiToken, 'user')}"
    ]
    for n, name in enumerate(ROLES):
        fk = _role_field(name)
        alias = f"r{n}"
        parts.append(_part(fk.model, alias))
        joins.append(
            f"LEFT JOIN {q(fk.model._meta.db_table)} {alias} ON {alias}.{q(fk.column)} = u.{user_pk}"
        )
    cols = ", ".join(f"{p.alias}.{q(f.column)}" for p in parts for f in p.model._meta.concrete_fields)
    key = _column(ApiToken, "key_hash")
    return f"SELECT {cols} FROM {' '.join(joins)} WHERE t.{key} = %s", parts


def _role_field(name: str) -> Any:
    """The one-to-one field (on the role's model) behind ``user.<name>``."""
    return get_user_model()._meta.get_field(name).field  # type: ignore[union-attr]


def token_with_user(key_hash: str) -> ApiToken | None:
    """The token with this key hash, its ``user`` and the user's ``courier``/``supervisor``/``station_manager`` loaded."""
    sql, parts = _statement(connection.vendor)
    with connection.cursor() as cur:
        cur.execute(sql, [key_hash])
        row = cur.fetchone()
    if row is None:
        return None
    objs: list[Model | None] = []
    start = 0
    for p in parts:
        objs.append(p.build(row[start : start + len(p.attnames)]))
        start += len(p.attnames)
    token, user, *roles = objs
    assert isinstance(token, ApiToken) and user is not None  # inner joins: both always there
    ApiToken._meta.get_field("user").set_cached_value(token, user)
    for name, obj in zip(ROLES, roles, strict=True):
        fk = _role_field(name)
        fk.remote_field.set_cached_value(user, obj)  # user.courier, or None: "has no courier"
        if obj is not None:
            fk.set_cached_value(obj, user)
    return token
