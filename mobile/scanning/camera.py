"""Reading barcodes from camera frames with zxing-cpp. Plain Python (no OpenCV, no Kivy).

On the handheld, the Kivy camera widget hands RGBA frames to ``decode_rgba``; on a desktop a still
image (a photo of a label) or a folder of frames stands in for the camera. Decoding is restricted
to the formats our labels carry (Code 128 and QR), which halves the time per frame.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import zxingcpp
from PIL import Image

FORMATS = zxingcpp.BarcodeFormats([zxingcpp.BarcodeFormat.Code128, zxingcpp.BarcodeFormat.QRCode])
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp"})


def decode_image(image: Image.Image) -> list[str]:
    """Every Code 128 / QR text found in the image, top to bottom."""
    results = zxingcpp.read_barcodes(image.convert("L"), formats=FORMATS)
    return [r.text for r in sorted(results, key=lambda r: r.position.top_left.y) if r.valid]


def decode_rgba(pixels: bytes, width: int, height: int) -> list[str]:
    """A raw RGBA frame (Kivy's camera texture pixels, bottom row first)."""
    frame = np.frombuffer(pixels, dtype=np.uint8).reshape(height, width, 4)
    gray = (frame[:, :, :3].astype(np.uint16).sum(axis=2) // 3).astype(np.uint8)
    results = zxingcpp.read_barcodes(np.ascontiguousarray(gray[::-1]), formats=FORMATS)
    return [r.text for r in results if r.valid]


def decode_file(path: str | Path) -> list[str]:
    with Image.open(path) as image:
        return decode_image(image)


class StillSource:
    """A camera stand-in on a desktop: a still image, or a folder of frames played in a loop."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            self.frames = sorted(p for p in self.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        elif self.path.is_file():
            self.frames = [self.path]
        else:
            raise FileNotFoundError(f"no camera image at {self.path}")
        if not self.frames:
            raise FileNotFoundError(f"no images in {self.path}")
        self._cycle: Iterator[Path] = itertools.cycle(self.frames)

    def next_codes(self) -> list[str]:
        """Decode the next frame; an empty list means nothing readable in it."""
        return decode_file(next(self._cycle))
