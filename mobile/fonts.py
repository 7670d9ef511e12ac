"""Which font draws Chinese on this device. Pure path lookup (the Kivy registration is in screens/).

Kivy's default font (Roboto) has no CJK glyphs: Chinese renders as boxes. A font shipped with the
app (mobile/assets/fonts/) wins, then the Debian packages fonts-noto-cjk and fonts-wqy-microhei,
then Android's system CJK font. ``PARCELRUN_FONT`` overrides everything (a file path).
"""

from __future__ import annotations

import os
from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent / "assets" / "fonts"
CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/system/fonts/NotoSansCJK-Regular.ttc",  # Android
    "/system/fonts/NotoSansSC-Regular.otf",
    "/system/fonts/DroidSansFallback.ttf",
)
BOLD_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/system/fonts/NotoSansCJK-Bold.ttc",
)


def find_cjk_font(extra: tuple[str, ...] = ()) -> str | None:
    """The first readable CJK font file, or None (the app then warns: Chinese would show as boxes)."""
    override = os.environ.get("PARCELRUN_FONT")
    shipped = sorted(str(p) for p in SHIPPED_DIR.glob("*.[ot]t[fc]")) if SHIPPED_DIR.is_dir() else []
    for path in ([override] if override else []) + shipped + list(extra) + list(CANDIDATES):
        if path and os.path.isfile(path) and os.access(path, os.R_OK):
            return path
    return None


def find_cjk_bold(regular: str | None) -> str | None:
    for path in BOLD_CANDIDATES:
        if os.path.isfile(path):
            return path
    return regular
