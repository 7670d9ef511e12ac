"""The customer's complaint photos, checked at the edge before anything is written.

Up to ``MAX_PHOTOS`` JPEG, PNG or WebP photos of at most ``MAX_PHOTO_BYTES`` each and
``MAX_TOTAL_BYTES`` together; the type is read from the bytes (``backend.common.images``), never
taken from the browser. The same photo attached twice counts once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from backend.common.errors import DomainError
from backend.common.images import ImageBlob, image_blob

MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 12 * 1024 * 1024
# A body longer than this is refused before it is parsed: the photos, the description and the
# multipart headers fit well within it.
MAX_BODY_BYTES = MAX_TOTAL_BYTES + 64 * 1024


def clean_photos(files: Sequence[UploadedFile[Any]]) -> list[ImageBlob]:
    """The photos' real types and hashes, in the order given, each once; raises ``too_many_photos``,
    ``photo_too_large`` or ``photo_not_image``."""
    if len(files) > MAX_PHOTOS:
        raise DomainError("too_many_photos", f"at most {MAX_PHOTOS} photos", max_photos=MAX_PHOTOS)
    sizes = [f.size or 0 for f in files]
    if any(size > MAX_PHOTO_BYTES for size in sizes) or sum(sizes) > MAX_TOTAL_BYTES:
        raise DomainError(
            "photo_too_large",
            f"a photo holds at most {MAX_PHOTO_BYTES // 2**20} MB, all together {MAX_TOTAL_BYTES // 2**20} MB",
        )
    blobs: dict[str, ImageBlob] = {}
    for f in files:
        blob = image_blob(f.read())
        blobs.setdefault(blob.sha256, blob)
    return list(blobs.values())
