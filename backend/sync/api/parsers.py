"""Request bodies of the sync endpoints: gzip-compressed JSON batches and raw attachment chunks."""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework.parsers import BaseParser

from backend.common.errors import DomainError

MAX_BODY = 4 * 1024 * 1024  # bytes on the wire
MAX_JSON = 16 * 1024 * 1024  # after decompression: a bound on what a "zip bomb" can make us hold


def _no_constants(name: str) -> Any:
    raise DomainError("parse_error", f"{name} is not a number JSON allows")


class BatchJSONParser(BaseParser):
    """JSON, optionally with ``Content-Encoding: gzip`` (handhelds compress: mobile data is dear)."""

    media_type = "application/json"

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        raw = stream.read(MAX_BODY + 1) if stream is not None else b""
        if len(raw) > MAX_BODY:
            raise DomainError(
                "payload_too_large", f"a request body holds at most {MAX_BODY // 1024 // 1024} MB"
            )
        request = (parser_context or {}).get("request")
        encoding = request.META.get("HTTP_CONTENT_ENCODING", "") if request is not None else ""
        if encoding == "gzip":
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                raw = inflater.decompress(raw, MAX_JSON + 1)
            except zlib.error as exc:
                raise DomainError("parse_error", f"the gzip body is corrupt: {exc}") from None
            if len(raw) > MAX_JSON or inflater.unconsumed_tail:
                raise DomainError("payload_too_large", "the decompressed body is too large")
        elif encoding not in ("", "identity"):
            raise DomainError(
                "unsupported_media_type", f"Content-Encoding {encoding!r} is not supported; use gzip"
            )
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # orjson is stricter (no integers past 64 bits…): json decides, and words the error
        try:
            return json.loads(raw, parse_constant=_no_constants)
        except (ValueError, RecursionError) as exc:
            raise DomainError("parse_error", f"the body is not valid JSON: {exc}") from None


class ChunkParser(BaseParser):
    media_type = "application/octet-stream"
    max_bytes = 512 * 1024

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        data = stream.read(self.max_bytes + 1) if stream is not None else b""
        if len(data) > self.max_bytes:
            raise DomainError("attachment_too_large", f"a chunk holds at most {self.max_bytes // 1024} KB")
        return data
