"""Transports for the sync engine in tests: the real Django app in-process, and a scripted one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mobile.offline.sync import Reply, TransportError


class DjangoTransport:
    """Calls the real API through Django's test client (same views, services and database)."""

    def __init__(self, token: str) -> None:
        from rest_framework.test import APIClient

        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        self.offline = False
        self.calls: list[str] = []

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        data: bytes | None = None,
    ) -> Reply:
        if self.offline:
            raise TransportError("no signal")
        self.calls.append(f"{method} {path}")
        if method == "GET":
            response = self.client.get(path, params or {})
        elif data is not None:
            query = "?" + "&".join(f"{k}={v}" for k, v in (params or {}).items()) if params else ""
            response = self.client.generic(
                method, path + query, data, content_type="application/octet-stream"
            )
        else:
            response = self.client.generic(method, path, _json(json_body), content_type="application/json")
        return Reply(response.status_code, response.json() if response.content else None)


def _json(body: Any) -> str:
    import json

    return json.dumps(body)


class ScriptedTransport:
    """Answers from a function of (method, path, body); raise TransportError to simulate the network."""

    def __init__(self, answer: Callable[[str, str, Any], Reply]) -> None:
        self.answer = answer
        self.sent: list[tuple[str, str, Any]] = []

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        data: bytes | None = None,
    ) -> Reply:
        self.sent.append((method, path, json_body))
        return self.answer(method, path, json_body)
