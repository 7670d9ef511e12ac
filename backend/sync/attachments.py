"""Signatures and photos: what an attachment is (a SHA-256, a size, an accepted type) and where its
bytes live. Pure helpers, read by the views, selectors and the console; the uploads themselves are
written by ``backend.sync.services.attachments``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from backend.common.errors import DomainError

MAX_SIZE = 8 * 1024 * 1024
MAX_CHUNK = 512 * 1024
# Declared type → how its first bytes must look (checked on the complete file).
TYPES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/webp": (b"RIFF",),
}
_SHA = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class AttachmentState:
    sha256: str
    size: int
    received: int
    complete: bool


def clean_sha256(value: object) -> str:
    if not isinstance(value, str) or not _SHA.match(value):
        raise DomainError("invalid", "sha256 must be 64 lower-case hex digits")
    return value


def storage_path(sha256: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "attachments" / sha256[:2] / sha256
