"""What the OpenAPI schema says beyond what drf-spectacular reads from the serializers.

``AutoSchema``: DRF's text fields refuse NUL characters, trim whitespace before checking a field
that may not be blank, and count the minimum length after trimming; drf-spectacular states only
``minLength``, so ``"\\t"`` or ``"a\\u0000b"`` looked valid and were refused. Each text field of a
request therefore carries a ``pattern`` that says it (``text_pattern``).

``closed``: a request serializer whose server refuses unknown keys (the quote goes to the shared
pricing rules whole, and they refuse a key they do not know) must say so in the schema,
``additionalProperties: false``; drf-spectacular leaves every object open, and a client written
from the schema would be refused for a key the schema allowed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.validators import RegexValidator
from drf_spectacular import openapi
from rest_framework import serializers

_T = TypeVar("_T", bound=type)

_CLOSED: set[str] = set()


def _component_name(serializer: type) -> str:
    meta = getattr(serializer, "Meta", None)
    ref_name = getattr(meta, "ref_name", None)
    if isinstance(ref_name, str):
        return ref_name
    name = serializer.__name__
    return name.removesuffix("Serializer") or name


def closed(serializer: _T) -> _T:
    """Class decorator: the server refuses keys this serializer does not declare."""
    _CLOSED.add(_component_name(serializer))
    return serializer


def close_objects(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: ``additionalProperties: false`` on the closed inputs."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in _CLOSED:
        for component in (f"{name}Request", name):
            if component in schemas:
                schemas[component]["additionalProperties"] = False
                break
    return result


# What Python's str.strip() removes (str.isspace), which is more than ECMA's \s (it has \x1c-\x1f
# and \x85, but not \ufeff), written out so every regex dialect reads the same set.
_SPACE = r"\t-\r\u001c- \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_ANY = r"[^\u0000]"
_SOLID = rf"[^\u0000{_SPACE}]"


def text_pattern(*, min_length: int, trimmed: bool) -> str:
    """No NUL anywhere; when trimmed, at least ``min_length`` characters from the first character
    that is not whitespace to the last one."""
    if not trimmed or min_length <= 0:
        return rf"^{_ANY}*$"
    if min_length == 1:
        return rf"^{_ANY}*{_SOLID}{_ANY}*$"
    return rf"^{_ANY}*{_SOLID}{_ANY}{{{min_length - 2},}}{_SOLID}{_ANY}*$"


class AutoSchema(openapi.AutoSchema):
    def _get_serializer_field_meta(self, field: Any, direction: str) -> dict[str, Any]:
        meta: dict[str, Any] = super()._get_serializer_field_meta(field, direction)  # type: ignore[no-untyped-call]
        if (
            direction == "request"
            and isinstance(field, serializers.CharField)
            and not any(isinstance(v, RegexValidator) for v in field.validators)
        ):
            least = field.min_length or (0 if field.allow_blank else 1)
            meta["pattern"] = text_pattern(min_length=least, trimmed=field.trim_whitespace)
        return meta
