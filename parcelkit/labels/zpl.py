"""ZPL II for Zebra-compatible thermal printers at 203 dpi (8 dots/mm), 100 x 150 mm media.

The printer draws the barcodes itself (``^BC``, ``^BQ``) so they are exact at its resolution. Chinese text
needs a CJK font on the printer; ``cjk_font`` names it (Zebra's Asian font packs install e.g.
``E:ANMDS.TTF``), and ``^CI28`` makes the printer read field data as UTF-8.
"""

from __future__ import annotations

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
)

DEFAULT_CJK_FONT = "E:ANMDS.TTF"


def _dots(mm: float) -> int:
    return round(mm * DOTS_PER_MM)


def field_data(text: str) -> str:
    """``^FH_`` hex escapes: a ``^`` or ``~`` in an address would otherwise be read as a command."""
    return text.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


def render_zpl(data: LabelData, cjk_font: str = DEFAULT_CJK_FONT) -> str:
    out = ["^XA", "^CI28", f"^PW{_dots(WIDTH_MM)}", f"^LL{_dots(HEIGHT_MM)}", "^LH0,0"]
    for element in build_layout(data):
        origin = f"^FO{_dots(element.x)},{_dots(element.y)}"
        if isinstance(element, Text):
            h = _dots(element.size)
            out.append(f"{origin}^A@N,{h},{h},{cjk_font}^FH_^FD{field_data(element.text)}^FS")
        elif isinstance(element, Rule):
            w, h = max(1, _dots(element.width)), max(1, _dots(element.height))
            out.append(f"{origin}^GB{w},{h},{min(w, h)}^FS")
        elif isinstance(element, Code128):
            # Mode A lets the printer switch code sets itself (subset C for the digit run).
            out.append(
                f"{origin}^BY{_dots(CODE128_MODULE_MM)}^BCN,{_dots(element.height)},N,N,N,A"
                f"^FD{element.data}^FS"
            )
        elif isinstance(element, QRCode):
            # Model 2, magnification = dots per module; "MA," = error correction M, automatic input.
            out.append(f"{origin}^BQN,2,{_dots(QR_MODULE_MM)}^FDMA,{element.data}^FS")
    out.append("^PQ1")
    out.append("^XZ")
    return "\n".join(out) + "\n"
