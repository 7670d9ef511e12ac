"""A fault-injecting HTTP proxy for sync tests and benchmarks (loopback only).

It sits between handhelds and a real server and, per exchange, may: drop the request, drop the
response after the server committed, duplicate the request, delay it, replay a stale copy later
(reordering), reset the connection (before or after the server saw it), or stall until the client
times out. ``plan`` forces a fixed sequence of faults first (so a small run still sees each kind);
after that each exchange is faulted with probability ``rate``. ``on_push`` is called when a push is
forwarded and returns True to consume the hook (used to SIGKILL the server mid-batch).
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

KINDS = ("drop_request", "drop_response", "duplicate", "delay", "reorder", "reset", "stall")


class FaultProxy:
    def __init__(
        self,
        upstream_port: int,
        *,
        rate: float = 0.3,
        seed: int = 0,
        plan: list[str] | None = None,
        stall_s: float = 2.5,
        on_push: Callable[[], bool] | None = None,
    ) -> None:
        self.upstream_port = upstream_port
        self.rate = rate
        self.rng = random.Random(seed)
        self.plan = list(plan or [])
        self.stall_s = stall_s
        self.on_push = on_push
        self.stats: Counter[str] = Counter()
        self.port = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()
        self._server: asyncio.AbstractServer | None = None
        self._background: set[asyncio.Future[Any]] = set()

    # lifecycle ----------------------------------------------------------------------------------
    def start(self) -> int:
        self._thread.start()
        self._ready.wait(10)
        return self.port

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    def _pick(self) -> str:
        with self._lock:
            self.stats["exchanges"] += 1
            if self.plan:
                fault = self.plan.pop(0)
            elif self.rng.random() < self.rate:
                fault = self.rng.choice(KINDS)
            else:
                return ""
            self.stats[fault] += 1
            return fault

    def _jitter(self, low: float, high: float) -> float:
        with self._lock:
            return self.rng.uniform(low, high)

    # one client connection ------------------------------------------------------------------------
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:  # the stream protocol drops its reference when a connection is aborted
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                if not await self._exchange(request, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _exchange(self, request: bytes, writer: asyncio.StreamWriter) -> bool:
        """Handle one request; False when the client connection must end."""
        fault = self._pick()
        is_push = request.startswith(b"POST /api/v1/sync/push")
        if fault == "drop_request":
            return False
        if fault == "reset" and self._jitter(0, 1) < 0.5:
            _rst(writer)
            return False
        if fault == "delay":
            await asyncio.sleep(self._jitter(0.05, 0.6))
        if fault == "duplicate":
            first, _ = await asyncio.gather(self._forward(request, is_push), self._forward(request, False))
            response = first
        else:
            response = await self._forward(request, is_push)
        if fault == "reorder":
            asyncio.get_running_loop().call_later(self._jitter(0.2, 1.5), self._replay, request)
        if fault == "drop_response":
            return False
        if fault == "reset":
            _rst(writer)
            return False
        if fault == "stall":
            await asyncio.sleep(self.stall_s)
            return False
        writer.write(response)
        await writer.drain()
        return b"\r\nconnection: close" not in response[:2048].lower()

    def _replay(self, request: bytes) -> None:
        task = asyncio.ensure_future(self._forward(request, False))
        self._background.add(task)  # a task nobody references can be collected before it runs
        task.add_done_callback(self._background.discard)

    async def _forward(self, request: bytes, is_push: bool) -> bytes:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            self.stats["upstream_down"] += 1
            return _BAD_GATEWAY
        try:
            writer.write(_close_after(request))
            await writer.drain()
            if is_push and self.on_push is not None and self.on_push():
                self.stats["server_kills"] += 1
            return await reader.read() or _BAD_GATEWAY
        except (ConnectionError, OSError):
            return _BAD_GATEWAY
        finally:
            writer.close()


_BAD_GATEWAY = (
    b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: 0\r\n"
    b"Connection: close\r\n\r\n"
)


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return head + body


def _close_after(request: bytes) -> bytes:
    """Ask the server to close after answering, so a response is simply "everything until EOF"."""
    head, _, body = request.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body


def _rst(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
