"""A network cable you can pull: a loopback TCP relay between the app and the server.

``cut()`` drops every open connection and refuses new ones (no signal); ``restore()`` plugs it
back. ``lose_replies(n)`` forwards the next n requests but throws the server's answers away and
resets the client (the server committed, the handheld never heard): the classic retry hazard.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class Cable:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.up = True
        self.replies_to_lose = 0
        self.lose_path = b""
        self.lost_replies = 0
        self._last_request: dict[socket.socket, bytes] = {}  # server side of a pair → its last request line
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            self.up = False
            for s in list(self._open):
                self._kill(s)

    def restore(self) -> None:
        with self._lock:
            self.up = True

    def lose_replies(self, n: int, request_prefix: str = "") -> None:
        """Lose the answers to the next n requests starting with ``request_prefix`` (e.g. "POST /api/v1/sync/push")."""
        with self._lock:
            self.replies_to_lose, self.lose_path = n, request_prefix.encode()

    def close(self) -> None:
        self.cut()
        self.listener.close()

    def _kill(self, s: socket.socket) -> None:
        with contextlib.suppress(OSError):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
            s.close()
        self._open.discard(s)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                if not self.up:
                    self._kill(client)
                    continue
                try:
                    server = socket.create_connection(self.upstream, timeout=5)
                except OSError:
                    self._kill(client)
                    continue
                self._open.update((client, server))
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, is_reply: bool) -> None:
        try:
            while data := src.recv(65536):
                if not is_reply and data[:4] in (b"GET ", b"POST", b"PUT "):
                    self._last_request[dst] = data[:80]
                if is_reply:
                    with self._lock:
                        if self.replies_to_lose and self._last_request.get(src, b"").startswith(
                            self.lose_path
                        ):
                            self.replies_to_lose -= 1
                            self.lost_replies += 1
                            self._kill(dst)
                            self._kill(src)
                            return
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._kill(src)
                self._kill(dst)
