"""Which font draws Chinese on this device. Pure path lookup (the Kivy registration is in screens/).

Kivy's default font (Roboto) has no CJK glyphs: Chinese renders as boxes. A font shipped with the
app (mobile/assets/fonts/) wins, then the Debian packages fonts-noto-cjk and fonts-wqy-microhei,
then Android's system CJK font. ``PARCELRUN_FONT`` overrides everything (a file path).

A font collection (.ttc) holds several faces, and Kivy (SDL2_ttf's ``TTF_OpenFont``) always opens
the first one: in NotoSansCJK-Regular.ttc that is the Japanese face, which draws 门, 户, 骨 with
Japanese glyph forms (issue 17). ``simplified_chinese`` writes the Simplified Chinese face of a
collection to a standalone file once (fontTools, 0.5 s, about 16 MB in the app's data folder) and
the app registers that file instead.
"""

from __future__ import annotations

import os
from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent / "assets" / "fonts"
CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/system/fonts/NotoSansSC-Regular.otf",
    "/system/fonts/NotoSansCJK-Regular.ttc",  # Android
    "/system/fonts/DroidSansFallback.ttf",
)
BOLD_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Bold.otf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/system/fonts/NotoSansCJK-Bold.ttc",
)
SC_FAMILY_SUFFIXES = (" SC", " CJK SC", "SC")  # "Noto Sans CJK SC", "Noto Sans SC"


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


def cache_dir(data_dir: Path) -> Path:
    """Where extracted faces live: the app's data folder, or ``PARCELRUN_FONT_CACHE`` (tests share one)."""
    return Path(os.environ.get("PARCELRUN_FONT_CACHE") or data_dir / "fonts")


def family_name(path: str, index: int = 0) -> str:
    """The family name (name ID 1) of a font file, or of face ``index`` of a collection."""
    from fontTools.ttLib import TTCollection, TTFont

    if path.lower().endswith(".ttc"):
        return str(TTCollection(path, lazy=True).fonts[index]["name"].getDebugName(1) or "")
    return str(TTFont(path, lazy=True)["name"].getDebugName(1) or "")


def sc_face_index(path: str) -> int | None:
    """The index of the Simplified Chinese (proportional, not Mono) face of a .ttc; None if it has none."""
    from fontTools.ttLib import TTCollection

    for index, face in enumerate(TTCollection(path, lazy=True).fonts):
        family = str(face["name"].getDebugName(1) or "")
        if family.endswith(SC_FAMILY_SUFFIXES) and "Mono" not in family:
            return index
    return None


def simplified_chinese(path: str | None, cache_dir: Path) -> str | None:
    """A file Kivy can open whose first (only) face is Simplified Chinese, when ``path`` has one.

    A plain font file is returned as is; a collection's SC face is written to ``cache_dir`` once
    (next to it a marker of the source's size and time, so an updated system font is re-extracted).
    A collection without an SC face (WenQuanYi) is returned as is.
    """
    if path is None or not path.lower().endswith(".ttc"):
        return path
    stat = os.stat(path)
    target = cache_dir / f"{Path(path).stem}-SC-{stat.st_size}-{int(stat.st_mtime)}.otf"
    if target.is_file():  # every start after the first: no fontTools import, no parsing (cold start)
        return str(target)
    index = sc_face_index(path)
    if index is None:
        return path
    from fontTools.ttLib import TTCollection

    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        TTCollection(path, lazy=True).fonts[index].save(str(partial))
        os.replace(partial, target)  # a kill mid-write leaves no half font behind
    except OSError:  # no room or no write access: Japanese glyph forms beat no app at all
        return path
    return str(target)
