"""What goes where on the 100 x 150 mm waybill, in millimetres from the top-left corner.

The layout is built once and handed to the ZPL, PDF and PNG renderers, so the label the courier previews
is the label the printer prints. Personal data is masked here, at the only entrance: the renderers never
see a full phone number, name or street address.
"""

from __future__ import annotations

from dataclasses import dataclass

import barcode
import segno

from parcelkit.rules.privacy import Surface, mask_address, mask_name, phone_for
from parcelkit.rules.tracking import is_valid_tracking_no

WIDTH_MM = 100
HEIGHT_MM = 150
DOTS_PER_MM = 8  # 203 dpi: the thermal printers' resolution, and the PNG preview's by default
MARGIN_MM = 4
# 0.375 mm is 3 dots at 203 dpi: whole printer dots keep the bar widths exact, so scanners read it.
CODE128_MODULE_MM = 0.375
QR_MODULE_MM = 1.25  # 10 dots at 203 dpi


@dataclass(frozen=True)
class LabelData:
    """Everything printed on one label; names, phones and addresses are given unmasked."""

    tracking_no: str
    service_level: str
    sort_code: str
    weight_g: int
    sender_name: str
    sender_phone: str
    sender_address: str
    recipient_name: str
    recipient_phone: str
    recipient_address: str
    cod_amount_fen: int = 0
    piece_no: int = 1
    piece_count: int = 1

    def __post_init__(self) -> None:
        if not is_valid_tracking_no(self.tracking_no):
            raise ValueError(f"not a valid tracking number: {self.tracking_no!r}")
        if self.weight_g <= 0:
            raise ValueError("weight must be positive")
        if self.cod_amount_fen < 0:
            raise ValueError("COD amount cannot be negative")
        if not 1 <= self.piece_no <= self.piece_count:
            raise ValueError(f"piece {self.piece_no} of {self.piece_count} is impossible")


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # top of the line
    size: float  # character height
    text: str


@dataclass(frozen=True)
class Code128:
    x: float
    y: float
    height: float
    data: str


@dataclass(frozen=True)
class QRCode:
    x: float  # top-left of the symbol itself; the layout leaves the 4-module quiet zone around it
    y: float
    data: str


@dataclass(frozen=True)
class Rule:
    x: float
    y: float
    width: float
    height: float


Element = Text | Code128 | QRCode | Rule


def code128_modules(data: str) -> str:
    """The bar pattern as ``"1101..."`` (1 = black module); python-barcode picks the shortest code sets."""
    return str(barcode.get("code128", data).build()[0])


def qr_matrix(data: str) -> list[list[bool]]:
    # micro=False: segno would otherwise pick a Micro QR, which many phone scanners cannot read.
    qr = segno.make(data, error="m", micro=False)
    return [[bool(cell) for cell in row] for row in qr.matrix]


def format_weight(grams: int) -> str:
    return f"{grams // 1000}.{grams % 1000:03d} kg"


def format_fen(fen: int) -> str:
    # "元" rather than "¥": the built-in PDF CJK font has no U+00A5.
    return f"{fen // 100}.{fen % 100:02d} 元"


def _char_width(ch: str) -> float:
    return 1.0 if ord(ch) > 0x2E7F else 0.6


def wrap(text: str, width_mm: float, size: float, max_lines: int) -> list[str]:
    """Break by character (Chinese has no spaces) but keep a Latin word whole when a space allows it.

    Widths are estimated, not measured: the same break must come out of all three renderers.
    """
    lines: list[str] = []
    current = ""
    for ch in text:
        if _width(current + ch, size) > width_mm and current:
            head, space, tail = current.rpartition(" ")
            if space and head and ch != " " and _char_width(ch) < 1:
                lines.append(head)
                current = tail
            else:
                lines.append(current)
                current = ""
            current = current.lstrip(" ")
        current += ch
    if current.strip():
        lines.append(current)
    return lines[:max_lines]


def _width(text: str, size: float) -> float:
    return sum(_char_width(ch) for ch in text) * size


def build_layout(data: LabelData) -> list[Element]:
    inner = WIDTH_MM - 2 * MARGIN_MM
    bar_width = len(code128_modules(data.tracking_no)) * CODE128_MODULE_MM
    qr_width = len(qr_matrix(data.tracking_no)) * QR_MODULE_MM
    elements: list[Element] = [Text(MARGIN_MM, 4, 11, data.sort_code)]
    for i, line in enumerate(wrap(data.service_level, WIDTH_MM - MARGIN_MM - 58, 4.5, 2)):
        elements.append(Text(58, 4 + i * 6, 4.5, line))
    elements += [
        Rule(MARGIN_MM, 19, inner, 0.5),
        Code128((WIDTH_MM - bar_width) / 2, 22, 16, data.tracking_no),
        Text((WIDTH_MM - bar_width) / 2, 39.5, 4, data.tracking_no),
        Rule(MARGIN_MM, 45, inner, 0.5),
        Text(MARGIN_MM, 47, 3.5, "收件 To"),
        Text(
            MARGIN_MM,
            52,
            5,
            f"{mask_name(data.recipient_name)}  {phone_for(Surface.LABEL, data.recipient_phone)}",
        ),
    ]
    for i, line in enumerate(wrap(mask_address(data.recipient_address), inner, 4.5, 2)):
        elements.append(Text(MARGIN_MM, 59 + i * 5.5, 4.5, line))
    elements += [
        Rule(MARGIN_MM, 71, inner, 0.3),
        Text(MARGIN_MM, 73, 3.5, "寄件 From"),
        Text(
            MARGIN_MM, 78, 4, f"{mask_name(data.sender_name)}  {phone_for(Surface.LABEL, data.sender_phone)}"
        ),
    ]
    for i, line in enumerate(wrap(mask_address(data.sender_address), inner, 3.5, 2)):
        elements.append(Text(MARGIN_MM, 83.5 + i * 4.5, 3.5, line))
    elements += [
        Rule(MARGIN_MM, 93, inner, 0.5),
        Text(MARGIN_MM, 97, 4.5, f"重量 {format_weight(data.weight_g)}"),
        Text(MARGIN_MM, 104, 4.5, f"件数 {data.piece_no}/{data.piece_count}"),
        QRCode(WIDTH_MM - MARGIN_MM - 4 * QR_MODULE_MM - qr_width, 93 + 5 * QR_MODULE_MM, data.tracking_no),
        Text(MARGIN_MM, 123, 9, f"{data.piece_no}/{data.piece_count}"),
        Text(MARGIN_MM, 141, 3, "Parcelrun"),
    ]
    if data.cod_amount_fen:
        elements.append(Text(MARGIN_MM, 111, 5, f"代收货款 COD {format_fen(data.cod_amount_fen)}"))
    return elements
