"""PNG preview of the label with Pillow, at the printer's own resolution by default."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from parcelkit.labels.fonts import pil_font
from parcelkit.labels.layout import (
    CODE128_MODULE_MM,
    DOTS_PER_MM,
    HEIGHT_MM,
    QR_MODULE_MM,
    WIDTH_MM,
    Code128,
    LabelData,
    QRCode,
    Rule,
    Text,
    build_layout,
    code128_modules,
    qr_matrix,
)


def render_image(data: LabelData, dots_per_mm: int = DOTS_PER_MM) -> Image.Image:
    k = dots_per_mm
    image = Image.new("L", (WIDTH_MM * k, HEIGHT_MM * k), 255)
    draw = ImageDraw.Draw(image)
    for element in build_layout(data):
        if isinstance(element, Text):
            font = pil_font(round(element.size * k))
            # Baseline placement matches the PDF renderer, whose text is drawn on a baseline.
            draw.text(
                (element.x * k, (element.y + element.size * 0.88) * k),
                element.text,
                font=font,
                fill=0,
                anchor="ls",
            )
        elif isinstance(element, Rule):
            draw.rectangle(
                [
                    element.x * k,
                    element.y * k,
                    (element.x + element.width) * k - 1,
                    (element.y + element.height) * k - 1,
                ],
                fill=0,
            )
        elif isinstance(element, Code128):
            # Whole dots per module: a fractional width smears bars and breaks the decode.
            module = max(1, round(CODE128_MODULE_MM * k))
            x0, y0, y1 = round(element.x * k), round(element.y * k), round((element.y + element.height) * k)
            for i, bit in enumerate(code128_modules(element.data)):
                if bit == "1":
                    draw.rectangle([x0 + i * module, y0, x0 + (i + 1) * module - 1, y1 - 1], fill=0)
        elif isinstance(element, QRCode):
            module = max(1, round(QR_MODULE_MM * k))
            x0, y0 = round(element.x * k), round(element.y * k)
            for r, row in enumerate(qr_matrix(element.data)):
                for c, dark in enumerate(row):
                    if dark:
                        draw.rectangle(
                            [
                                x0 + c * module,
                                y0 + r * module,
                                x0 + (c + 1) * module - 1,
                                y0 + (r + 1) * module - 1,
                            ],
                            fill=0,
                        )
    return image


def render_png(data: LabelData, dots_per_mm: int = DOTS_PER_MM) -> bytes:
    out = io.BytesIO()
    render_image(data, dots_per_mm).save(out, format="PNG", dpi=(dots_per_mm * 25.4,) * 2)
    return out.getvalue()
