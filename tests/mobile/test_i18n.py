"""Chinese and English are complete, compiled, and no screen shows a string that bypasses gettext."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from mobile import i18n
from mobile.i18n_build import compile_mo, extract_all, extract_kv, extract_py, parse_po, po_path

SCREENS = Path(i18n.__file__).parent / "screens"
# Shown as themselves in every language: each language's own name, and a sample employee number.
SELF_NAMED = {"中文", "English", "E1001"}
_LITERAL = re.compile(r"""(['"])((?:\\.|(?!\1).)*)\1""")
_WORDS = re.compile(r"[A-Za-z]{2,}|[\u4e00-\u9fff]")


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_msgid_is_translated(language: str) -> None:
    entries = parse_po(po_path(language).read_text(encoding="utf-8"))
    missing = [m for m in extract_all() if not entries.get(m)]
    assert missing == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_committed_mo_is_the_compiled_po(language: str) -> None:
    po = po_path(language)
    assert po.with_suffix(".mo").read_bytes() == compile_mo(parse_po(po.read_text(encoding="utf-8")))


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_translations_keep_their_placeholders(language: str) -> None:
    fields = string.Formatter()
    for msgid, msgstr in parse_po(po_path(language).read_text(encoding="utf-8")).items():
        if msgid:
            assert {f for _, f, _, _ in fields.parse(msgid) if f} == {
                f for _, f, _, _ in fields.parse(msgstr) if f
            }, msgid


def test_chinese_is_the_default_and_switching_works() -> None:
    assert i18n.DEFAULT_LANGUAGE == "zh_CN"
    assert i18n.translate("Log in", "zh_CN") == "登录"
    assert i18n.translate("Log in", "en") == "Log in"
    i18n.set_language("en")
    try:
        assert i18n._("Delivered") == "Delivered"
        i18n.set_language("zh_CN")
        assert i18n._("Delivered") == "已签收"
    finally:
        i18n.set_language(i18n.DEFAULT_LANGUAGE)
    with pytest.raises(ValueError):
        i18n.set_language("fr")


@pytest.mark.parametrize("kv", sorted(SCREENS.glob("*.kv")), ids=lambda p: p.name)
def test_kv_files_show_no_literal_words(kv: Path) -> None:
    bad = []
    for number, line in enumerate(kv.read_text(encoding="utf-8").splitlines(), 1):
        key, _, value = line.strip().partition(":")
        if key not in ("text", "hint_text", "title", "caption"):
            continue
        stripped = re.sub(r"""app\.tr\(\s*(['"]).*?\1""", "app.tr(", value)
        stripped = re.sub(r"""(['"])\w+\1\s*:""", "", stripped)  # dict keys are step names, not shown
        for _, literal in _LITERAL.findall(stripped):
            if _WORDS.search(literal) and literal not in SELF_NAMED:
                bad.append(f"{kv.name}:{number}: {literal!r}")
    assert bad == []


@pytest.mark.parametrize("module", sorted(SCREENS.glob("*.py")), ids=lambda p: p.name)
def test_screen_code_assigns_no_literal_words_to_what_is_shown(module: Path) -> None:
    shown = {"text", "message", "problems", "header", "notice", "error", "evidence", "logout_warning"}
    bad = []
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        values: list[ast.expr] = []
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Attribute) and t.attr in shown for t in node.targets
        ):
            values.append(node.value)
        if isinstance(node, ast.Call):
            values += [k.value for k in node.keywords if k.arg in shown]
        for value in values:
            if (
                isinstance(value, ast.Constant)
                and isinstance(value.value, str)
                and _WORDS.search(value.value)
            ):
                bad.append(f"{module.name}:{value.lineno}: {value.value!r}")
    assert bad == []


def test_the_extractor_finds_both_syntaxes() -> None:
    assert extract_py('x = _("A b")\ny = N_("C")\nz = f("D")') == ["A b", "C"]
    assert extract_kv("text: app.tr('Log in', app.lang) + app.tr(\"It's\", app.lang)") == ["Log in", "It's"]
