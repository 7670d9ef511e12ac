"""Helpers for the REST API tests: a JSON client and calls made as one of the fixture people."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.fixtures.people import Person


class Api:
    """``api.post(url, body, as_=person)``: JSON in, the response out; ``as_=None`` is anonymous."""

    def __init__(self) -> None:
        self.client = APIClient()

    def _auth(self, as_: Person | None, headers: dict[str, str] | None) -> dict[str, str]:
        extra = dict(as_.auth) if as_ is not None else {}
        for name, value in (headers or {}).items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        return extra

    def get(self, url: str, as_: Person | None = None, **params: Any) -> Any:
        return self.client.get(url, params, **self._auth(as_, None))

    def post(
        self, url: str, body: Any = None, as_: Person | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        return self.client.post(
            url, body if body is not None else {}, format="json", **self._auth(as_, headers)
        )


@pytest.fixture
def api() -> Api:
    return Api()
