"""Helpers for websocket tests: open a feed through the real ASGI application and read its messages.

Consumers read the database from Channels' database thread, which cannot see a test's open
transaction, so every test here is ``django_db(transaction=True)``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections

from backend.asgi import application
from backend.realtime.tail import close_tail_connection
from backend.realtime.validation import validate


@pytest.fixture(autouse=True)
async def _close_database_thread_connections(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if request.node.get_closest_marker("django_db"):
        # The database thread keeps its connection (CONN_MAX_AGE); an open one would block dropping the test DB.
        await sync_to_async(connections.close_all, thread_sensitive=True)()
        await close_tail_connection()  # the feed tail reads on a thread of its own


def feed_path(base: str, **params: Any) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{base}?{query}" if query else base


class Socket:
    """A WebsocketCommunicator that checks every message it receives against the catalogue."""

    def __init__(self, path: str) -> None:
        self.comm = WebsocketCommunicator(application, path)
        self.path = path

    async def open(self) -> dict[str, Any]:
        connected, _ = await self.comm.connect(timeout=5)
        assert connected, f"handshake failed for {self.path}"
        return await self.receive()

    async def receive(self, timeout: float = 3) -> dict[str, Any]:
        message = json.loads(await self.comm.receive_from(timeout=timeout))
        validate(message)
        return message

    async def drain(self, quiet: float = 0.4) -> list[dict[str, Any]]:
        """Everything sent until the socket has been quiet for ``quiet`` seconds."""
        out = []
        # receive_nothing, not a receive timeout: asgiref cancels the application on a timeout.
        while not await self.comm.receive_nothing(timeout=quiet):
            out.append(await self.receive())
        return out

    async def close_code(self) -> int:
        output = await self.comm.receive_output(timeout=3)
        assert output["type"] == "websocket.close", output
        return int(output["code"])

    async def send(self, message: dict[str, Any]) -> None:
        await self.comm.send_to(text_data=json.dumps(message))

    async def close(self) -> None:
        await self.comm.disconnect()


async def refused_with(path: str) -> int:
    """Open ``path`` expecting a refusal: the ``error`` message, then the close code it names."""
    sock = Socket(path)
    first = await sock.open()
    assert first["type"] == "error", first
    code = await sock.close_code()
    assert first["payload"]["details"]["close_code"] == code
    await sock.close()
    return code


run = database_sync_to_async
