"""PDF label with ReportLab: one 100 x 150 mm page, vector bars and text."""

from __future__ import annotations

import io

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from parcelkit.labels.fonts import pdf_font_name
from parcelkit.labels.layout import (
    CODE128_MODULE_MM,
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


def _runs(bits: list[bool]) -> list[tuple[int, int]]:
    """(start, length) of each dark run: one rectangle per bar keeps the PDF small and gap-free."""
    runs, start = [], None
    for i, dark in enumerate([*bits, False]):
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            runs.append((start, i - start))
            start = None
    return runs


def render_pdf(data: LabelData) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(WIDTH_MM * mm, HEIGHT_MM * mm))
    canvas.setTitle(f"Waybill {data.tracking_no}")
    font = pdf_font_name()

    def top(y_mm: float) -> float:  # layout measures from the top, PDF from the bottom
        return (HEIGHT_MM - y_mm) * mm

    for element in build_layout(data):
        if isinstance(element, Text):
            canvas.setFont(font, element.size * mm)
            canvas.drawString(element.x * mm, top(element.y + element.size * 0.88), element.text)
        elif isinstance(element, Rule):
            canvas.rect(
                element.x * mm,
                top(element.y + element.height),
                element.width * mm,
                element.height * mm,
                stroke=0,
                fill=1,
            )
        elif isinstance(element, Code128):
            bits = [b == "1" for b in code128_modules(element.data)]
            for start, length in _runs(bits):
                canvas.rect(
                    (element.x + start * CODE128_MODULE_MM) * mm,
                    top(element.y + element.height),
                    length * CODE128_MODULE_MM * mm,
                    element.height * mm,
                    stroke=0,
                    fill=1,
                )
        elif isinstance(element, QRCode):
            for r, row in enumerate(qr_matrix(element.data)):
                y = top(element.y + (r + 1) * QR_MODULE_MM)
                for start, length in _runs(row):
                    canvas.rect(
                        (element.x + start * QR_MODULE_MM) * mm,
                        y,
                        length * QR_MODULE_MM * mm,
                        QR_MODULE_MM * mm,
                        stroke=0,
                        fill=1,
                    )
    canvas.showPage()
    canvas.save()
    return out.getvalue()
