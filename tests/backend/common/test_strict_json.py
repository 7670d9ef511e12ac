"""JSON bodies must carry the schema's scalar types; query strings and forms stay text."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import QueryDict
from rest_framework import serializers


class Body(serializers.Serializer[None]):
    name = serializers.CharField(required=False)
    count = serializers.IntegerField(required=False)
    ratio = serializers.FloatField(required=False)
    flag = serializers.BooleanField(required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 12),
        ("name", 1.5),
        ("count", "12"),
        ("count", 1.5),
        ("count", True),
        ("ratio", "0.5"),
        ("ratio", False),
        ("flag", 1),
        ("flag", "true"),
        ("tags", ["a", 3]),
    ],
)
def test_it_refuses_a_json_value_of_another_type(field: str, value: Any) -> None:
    body = Body(data={field: value})
    assert not body.is_valid()
    assert field in body.errors


def test_it_takes_json_values_of_their_own_type() -> None:
    body = Body(data={"name": "x", "count": 3.0, "ratio": 2, "flag": False, "tags": ["a"]})
    assert body.is_valid(), body.errors
    assert body.validated_data == {"name": "x", "count": 3, "ratio": 2.0, "flag": False, "tags": ["a"]}


def test_query_strings_are_text_and_still_read_as_before() -> None:
    body = Body(data=QueryDict("name=12&count=12&ratio=0.5&flag=true"))
    assert body.is_valid(), body.errors
    assert body.validated_data == {"name": "12", "count": 12, "ratio": 0.5, "flag": True}
