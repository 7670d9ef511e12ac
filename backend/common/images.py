"""A photo received in one piece from a web form: its real type read from its bytes, and its hash.

The type a browser declares is the customer's claim; Pillow reads the header instead, so a text file
named ``photo.jpg`` or sent as ``image/jpeg`` is refused and a PNG sent as ``image/jpeg`` is stored as
what it is. The bytes are kept as they came (nothing is re-encoded or stripped).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from backend.common.errors import DomainError

# Pillow's format name → the content type stored with the attachment (docs/sync-protocol.md).
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 50_000_000  # well above a phone's camera; refuses a decompression bomb before decoding


@dataclass(frozen=True)
class ImageBlob:
    sha256: str
    content_type: str
    data: bytes


def image_blob(data: bytes) -> ImageBlob:
    """The photo's real type and hash; ``photo_not_image`` unless Pillow reads a JPEG, PNG or WebP."""
    try:
        # Only the header is read here: MAX_PIXELS (below Pillow's own bomb limits) is checked before
        # anything would decode the pixels.
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as img:
            fmt, (width, height) = img.format, img.size
            img.verify()  # the header and, for PNG, the chunks' checksums
    except (UnidentifiedImageError, Image.DecompressionBombError):
        raise DomainError("photo_not_image", "send a JPEG, PNG or WebP photo") from None
    except (OSError, SyntaxError, ValueError):  # what Pillow raises on a damaged file
        raise DomainError("photo_not_image", "the photo could not be read") from None
    if fmt not in FORMATS or width * height > MAX_PIXELS:
        raise DomainError("photo_not_image", "send a JPEG, PNG or WebP photo")
    return ImageBlob(hashlib.sha256(data).hexdigest(), FORMATS[fmt], data)
