"""Model field shapes that several apps declare for the same reason."""

from __future__ import annotations

from typing import Any, TypeVar, overload

from django.db import models

_M = TypeVar("_M", bound=models.Model)


@overload
def unchecked_ref(to: type[_M]) -> models.ForeignKey[_M | None]: ...
@overload
def unchecked_ref(to: str) -> models.ForeignKey[Any]: ...  # a lazy reference (the user model)
def unchecked_ref(to: type[models.Model] | str) -> models.ForeignKey[Any]:
    """An optional reference from an append-only row (an event, a feed line) to a row that is never
    deleted (PROTECT): no reverse accessor, no index of its own and no database constraint. The
    rows are never looked up by it, so an index would cost every insert for nothing, and a
    constraint would check each row at commit and key-share-lock the row it names from every
    concurrent writer (the station's row during a scan burst)."""
    return models.ForeignKey(
        to,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
