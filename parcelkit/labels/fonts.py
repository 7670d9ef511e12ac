"""Finding a font that has Chinese glyphs, for Pillow and for ReportLab.

Names and addresses are Chinese; a font without CJK glyphs prints boxes, which on a waybill is a parcel
that cannot be delivered. The Debian packages that provide one are fonts-noto-cjk and fonts-wqy-microhei.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import ImageFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

# (path, index in the collection). Noto's index 2 is Simplified Chinese.
PIL_CJK_FONTS = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
]
PIL_FALLBACK_FONTS = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"]

# ReportLab only embeds TrueType outlines; Noto CJK is CFF, so it cannot be used here.
PDF_TTF_FONTS = [
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
]
# Built into ReportLab and every PDF reader with Chinese support; referenced, not embedded.
PDF_CID_FONT = "STSong-Light"


@cache
def pil_cjk_font_path() -> tuple[str, int] | None:
    for path, index in PIL_CJK_FONTS:
        if Path(path).exists():
            return path, index
    return None


@cache
def pil_font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    found = pil_cjk_font_path()
    if found:
        return ImageFont.truetype(found[0], size_px, index=found[1])
    for path in PIL_FALLBACK_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size_px)
    return ImageFont.load_default(size_px)


@cache
def pdf_font_name() -> str:
    """Register and return the ReportLab font used for the label: an embedded TTF if one exists."""
    for path, index in PDF_TTF_FONTS:
        if Path(path).exists():
            try:
                pdfmetrics.registerFont(TTFont("ParcelrunCJK", path, subfontIndex=index))
                return "ParcelrunCJK"
            except TTFError:
                continue
    pdfmetrics.registerFont(UnicodeCIDFont(PDF_CID_FONT))
    return PDF_CID_FONT
