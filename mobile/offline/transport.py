"""HTTP for the sync engine: one keep-alive connection, gzip both ways, byte counting. Plain Python."""

from __future__ import annotations

import gzip
import http.client
import json
from typing import Any
from urllib.parse import urlencode, urlsplit

from mobile.offline.sync import Reply, TransportError

_GZIP_OVER = 512


class HttpTransport:
    def __init__(self, base_url: str, token: str, *, timeout_s: float = 10.0) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.https = parts.scheme == "https"
        self.token = token
        self.timeout_s = timeout_s
        self.bytes_sent = 0
        self.bytes_received = 0
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self._conn = cls(self.host, self.port, timeout=self.timeout_s)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        data: bytes | None = None,
    ) -> Reply:
        headers = {"Authorization": f"Token {self.token}", "Accept-Encoding": "gzip"}
        body = b""
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
            if len(body) > _GZIP_OVER:
                body = gzip.compress(body, compresslevel=6)
                headers["Content-Encoding"] = "gzip"
        elif data is not None:
            body = data
            headers["Content-Type"] = "application/octet-stream"
        url = path + ("?" + urlencode(params) if params else "")
        try:
            conn = self._connection()
            conn.request(method, url, body=body or None, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:  # timeouts are OSErrors
            self.close()  # the connection's state is unknown: never reuse it
            raise TransportError(f"{method} {path}: {exc.__class__.__name__}: {exc}") from exc
        # Wire size: request line + headers + body, status line + headers + body.
        self.bytes_sent += len(body) + len(url) + sum(len(k) + len(v) + 4 for k, v in headers.items()) + 30
        self.bytes_received += len(raw) + sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 17
        if response.getheader("Content-Encoding") == "gzip":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError) as exc:
                self.close()
                raise TransportError(f"{method} {path}: truncated answer") from exc
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        try:
            payload = json.loads(raw) if raw else None
        except ValueError as exc:
            if response.status >= 500:
                return Reply(response.status, None)
            raise TransportError(f"{method} {path}: unreadable answer") from exc
        return Reply(response.status, payload)
