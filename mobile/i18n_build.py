"""Extract msgids, update the .po files and compile them to .mo. Pure Python, no Babel needed.

    python -m mobile.i18n_build          # update .po (new msgids get an empty msgstr), compile .mo
    python -m mobile.i18n_build --check  # exit 1 when a msgid is untranslated in any language

Strings are found in mobile/**/*.py as ``_("…")`` / ``N_("…")`` and in mobile/screens/*.kv as
``app.tr("…", …)``. Only the .po subset this project uses is supported: single-line or
continued ``"…"`` strings, comments, no plurals, no contexts.
"""

from __future__ import annotations

import ast
import re
import struct
import sys
from pathlib import Path

from mobile.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

ROOT = Path(__file__).resolve().parent
_KV_CALL = re.compile(r"""\btr\(\s*(?P<q>['"])(?P<s>(?:\\.|(?!(?P=q)).)*)(?P=q)""")
_PO_STRING = re.compile(r'^"(.*)"\s*$')


def extract_py(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("_", "N_")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append(node.args[0].value)
    return found


def extract_kv(source: str) -> list[str]:
    return [ast.literal_eval(m.group("q") + m.group("s") + m.group("q")) for m in _KV_CALL.finditer(source)]


def extract_all(root: Path = ROOT) -> list[str]:
    """Every msgid in the app, in first-seen order."""
    seen: dict[str, None] = {}
    for path in sorted(root.rglob("*.py")):
        for msgid in extract_py(path.read_text(encoding="utf-8")):
            seen.setdefault(msgid, None)
    for path in sorted((root / "screens").glob("*.kv")):
        for msgid in extract_kv(path.read_text(encoding="utf-8")):
            seen.setdefault(msgid, None)
    return list(seen)


def _unquote(body: str) -> str:
    return str(ast.literal_eval('"' + body + '"'))


def _quote(text: str) -> str:
    return (
        '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'
    )


def parse_po(text: str) -> dict[str, str]:
    """msgid → msgstr (the header entry, msgid "", included)."""
    entries: dict[str, str] = {}
    msgid: str | None = None
    msgstr: str | None = None
    target = ""

    def flush() -> None:
        if msgid is not None and msgstr is not None:
            entries[msgid] = msgstr

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            flush()
            msgid, msgstr, target = _unquote(line[6:].strip()[1:-1]), None, "id"
        elif line.startswith("msgstr "):
            msgstr, target = _unquote(line[7:].strip()[1:-1]), "str"
        elif (m := _PO_STRING.match(line)) is not None:
            if target == "id" and msgid is not None:
                msgid += _unquote(m.group(1))
            elif target == "str" and msgstr is not None:
                msgstr += _unquote(m.group(1))
        else:
            raise ValueError(f"unsupported .po line: {raw!r}")
    flush()
    return entries


def write_po(entries: dict[str, str], language: str) -> str:
    header = entries.get("") or (
        f"Project-Id-Version: parcelrun\\nLanguage: {language}\\n"
        "MIME-Version: 1.0\\nContent-Type: text/plain; charset=UTF-8\\n"
        "Content-Transfer-Encoding: 8bit\\n"
    ).replace("\\n", "\n")
    out = [f"# Parcelrun courier app, {language}.", 'msgid ""', "msgstr " + _quote(header), ""]
    for msgid, msgstr in entries.items():
        if msgid:
            out += ["msgid " + _quote(msgid), "msgstr " + _quote(msgstr), ""]
    return "\n".join(out)


def compile_mo(entries: dict[str, str]) -> bytes:
    """GNU .mo: magic, revision, N, offsets of the two tables, hash size 0 (gettext can do without)."""
    items = sorted((k.encode("utf-8"), v.encode("utf-8")) for k, v in entries.items() if v or not k)
    n = len(items)
    ids_at = 7 * 4
    strs_at = ids_at + n * 8
    data_at = strs_at + n * 8
    blob = b""
    id_table: list[tuple[int, int]] = []
    str_table: list[tuple[int, int]] = []
    for key, _value in items:
        id_table.append((len(key), data_at + len(blob)))
        blob += key + b"\0"
    for _key, value in items:
        str_table.append((len(value), data_at + len(blob)))
        blob += value + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, n, ids_at, strs_at, 0, data_at)
    tables = b"".join(struct.pack("<2I", *e) for e in id_table) + b"".join(
        struct.pack("<2I", *e) for e in str_table
    )
    return head + tables + blob


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def update_and_compile(root: Path = ROOT) -> dict[str, list[str]]:
    """Add new msgids to every .po, drop ones no longer used, compile; returns untranslated per language."""
    msgids = extract_all(root)
    missing: dict[str, list[str]] = {}
    for language in LANGUAGES:
        path = po_path(language)
        old = parse_po(path.read_text(encoding="utf-8")) if path.exists() else {}
        entries = {"": old.get("", "")} | {m: old.get(m, "") for m in msgids}
        if not entries[""]:
            del entries[""]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(write_po(entries, language), encoding="utf-8")
        entries = parse_po(path.read_text(encoding="utf-8"))
        path.with_suffix(".mo").write_bytes(compile_mo(entries))
        missing[language] = [m for m in msgids if not entries.get(m)]
    return missing


def main(argv: list[str]) -> int:
    missing = update_and_compile()
    bad = {lang: ids for lang, ids in missing.items() if ids}
    for lang, ids in bad.items():
        print(f"{lang}: {len(ids)} untranslated", *ids, sep="\n  ")
    return 1 if bad and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
