"""JSON bodies carry the types the schema states: DRF's scalar fields stop coercing them.

DRF reads form and query data, where every value is text, so its fields coerce: a ``CharField``
takes ``12`` as ``"12"``, an ``IntegerField`` takes ``"12"``, a ``BooleanField`` takes ``1`` or
``"yes"``. For a JSON body that is a lie the schema cannot tell: it says ``string`` or ``integer``,
a client that sends the wrong type is answered 200, and the next server version that stops coercing
breaks it. So for data parsed from JSON (anything but a ``QueryDict``) these fields accept their own
JSON type only and answer the usual 400 ``invalid`` otherwise; query strings and forms are as before.
An integral float (``3.0``) still counts as an integer, as it does in JSON Schema.

Installed once by ``backend.common.apps.CommonConfig.ready``; checked by schemathesis's
``negative_data_rejection`` in ``tests/backend/api/test_schemathesis.py`` and by
``tests/backend/common/test_strict_json.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import fields

_Check = Callable[[Any], bool]


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_boolean(value: Any) -> bool:
    return isinstance(value, bool)


# Subclasses (EmailField, RegexField, ChoiceField's text, …) inherit the check from these.
_CHECKS: dict[type[fields.Field[Any, Any, Any, Any]], _Check] = {
    fields.CharField: _is_text,
    fields.IntegerField: _is_integer,
    fields.FloatField: _is_number,
    fields.BooleanField: _is_boolean,
}


def from_json(field: fields.Field[Any, Any, Any, Any]) -> bool:
    """Whether the data this field is reading came from a JSON body (not a query string or form)."""
    root = field.root
    data = getattr(root, "initial_data", None)
    return data is not None and not hasattr(data, "getlist")


def _strict(method: Callable[[Any, Any], Any], accepts: _Check) -> Callable[[Any, Any], Any]:
    def to_internal_value(self: fields.Field[Any, Any, Any, Any], data: Any) -> Any:
        if not accepts(data) and from_json(self):
            self.fail("invalid")
        return method(self, data)

    to_internal_value.__doc__ = method.__doc__
    to_internal_value.__wrapped__ = method  # type: ignore[attr-defined]
    return to_internal_value


def install() -> None:
    """Make the scalar fields strict for JSON data (idempotent)."""
    for cls, accepts in _CHECKS.items():
        method = cls.to_internal_value
        if getattr(method, "__wrapped__", None) is None:
            cls.to_internal_value = _strict(method, accepts)  # type: ignore[method-assign,assignment]
