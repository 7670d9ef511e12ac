"""The Simplified Chinese face of Noto Sans CJK is the one Kivy gets, not the collection's first (Japanese)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mobile import fonts

NOTO_TTC = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
needs_noto = pytest.mark.skipif(not os.path.isfile(NOTO_TTC), reason="fonts-noto-cjk is not installed")


@needs_noto
def test_the_collection_starts_with_the_japanese_face_and_the_sc_face_is_found() -> None:
    assert fonts.family_name(NOTO_TTC, 0) == "Noto Sans CJK JP"  # what Kivy would open by itself
    index = fonts.sc_face_index(NOTO_TTC)
    assert index is not None and fonts.family_name(NOTO_TTC, index) == "Noto Sans CJK SC"


@needs_noto
def test_the_sc_face_is_extracted_once_and_chosen(tmp_path: Path) -> None:
    chosen = fonts.simplified_chinese(NOTO_TTC, tmp_path)
    assert chosen is not None and chosen.endswith(".otf") and Path(chosen).parent == tmp_path
    assert fonts.family_name(chosen) == "Noto Sans CJK SC"
    made = os.stat(chosen).st_mtime_ns
    assert fonts.simplified_chinese(NOTO_TTC, tmp_path) == chosen  # cached: not written again
    assert os.stat(chosen).st_mtime_ns == made
    assert not list(tmp_path.glob("*.part"))


def test_a_plain_font_file_and_no_font_are_returned_as_they_are(tmp_path: Path) -> None:
    assert fonts.simplified_chinese(None, tmp_path) is None
    assert (
        fonts.simplified_chinese("/some/NotoSansSC-Regular.otf", tmp_path) == "/some/NotoSansSC-Regular.otf"
    )
    assert not list(tmp_path.iterdir())


def test_the_font_cache_follows_the_data_folder_unless_overridden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PARCELRUN_FONT_CACHE", raising=False)
    assert fonts.cache_dir(tmp_path) == tmp_path / "fonts"
    monkeypatch.setenv("PARCELRUN_FONT_CACHE", str(tmp_path / "shared"))
    assert fonts.cache_dir(tmp_path) == tmp_path / "shared"


@needs_noto
def test_an_unwritable_cache_falls_back_to_the_collection(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert fonts.simplified_chinese(NOTO_TTC, blocker / "fonts") == NOTO_TTC
