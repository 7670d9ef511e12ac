"""Reading the onboarding files: CSV and XLSX sheets into rows of text, with the line each came from.

Nothing here knows what a courier is; ``rows.py`` checks the values. Every cell comes out as text
(a spreadsheet's 13812345678 or 310012 is a number to Excel, a phone or a postcode to us), so one
set of checks serves both formats.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import load_workbook

SUFFIXES = (".csv", ".xlsx")
# A station has tens of couriers and zones and a few hundred tariffs; a sheet far longer than this is
# the wrong file (a year of shipments), refused before it fills memory with rows to check.
MAX_ROWS = 5000


@dataclass
class Sheet:
    """One table of an import: ``source`` names it in error reports (``couriers.csv``, ``station.xlsx[zones]``)."""

    source: str
    name: str  # the file's stem or the sheet's title, before it is matched to a kind
    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (line in the file, cells)


class TableError(Exception):
    """A file that cannot be read at all (not CSV/XLSX, corrupt); reported against the file, line 0."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source = source
        self.message = message


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores every number as a float: 310012.0 is the postcode 310012
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _decode(raw: bytes) -> str:
    # Excel on a Chinese Windows saves "CSV" in GBK; everything else (and Excel's "CSV UTF-8") is UTF-8.
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def _check_length(source: str, rows: list[tuple[int, list[str]]]) -> None:
    if len(rows) > MAX_ROWS:
        raise TableError(source, f"more than {MAX_ROWS} rows: is this the right file?")


def _blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


def read_csv(path: Path, *, source: str | None = None) -> Sheet:
    source = source or path.name
    try:
        text = _decode(path.read_bytes())
    except (OSError, UnicodeDecodeError) as exc:
        raise TableError(source, f"cannot read the file: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            cells = [c.strip() for c in cells]
            if header is None:
                if not _blank(cells):
                    header = cells
                continue
            if not _blank(cells):
                # line_num is the physical line the record ends on: the line a text editor shows.
                rows.append((reader.line_num, cells))
                _check_length(source, rows)
    except csv.Error as exc:
        raise TableError(source, f"not a valid CSV file (line {reader.line_num}): {exc}") from None
    return Sheet(source=source, name=path.stem, header=header or [], rows=rows)


def read_xlsx(path: Path) -> list[Sheet]:
    try:
        return _read_workbook(path)
    except TableError:
        raise
    except Exception as exc:
        # openpyxl reports a damaged or foreign file with whatever its zip and XML layers raise
        # (BadZipFile, KeyError, ParseError, ValueError, ...); any of them means "not a workbook we
        # can read", which the person uploading it must hear, not a server error.
        raise TableError(path.name, f"not a readable XLSX workbook: {exc}") from None


def _read_workbook(path: Path) -> list[Sheet]:
    book = load_workbook(path, read_only=True, data_only=True)
    sheets = []
    try:
        single = len(book.worksheets) == 1
        for ws in book.worksheets:
            # A one-sheet workbook named after its kind (couriers.xlsx) is that kind whatever the tab says.
            name = path.stem if single else ws.title
            source = path.name if single else f"{path.name}[{ws.title}]"
            header: list[str] | None = None
            rows: list[tuple[int, list[str]]] = []
            for number, values in enumerate(ws.iter_rows(values_only=True), 1):
                cells = [cell_text(v) for v in values]
                if header is None:
                    if not _blank(cells):
                        header = cells
                    continue
                if not _blank(cells):
                    rows.append((number, cells))
                    _check_length(source, rows)
            sheets.append(Sheet(source=source, name=name, header=header or [], rows=rows))
    finally:
        book.close()
    return sheets


def expand(paths: list[Path]) -> list[Path]:
    """Directories become their CSV and XLSX files (sorted, so reports come out in a stable order)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file()))
        else:
            out.append(path)
    return out


def read_tables(paths: list[Path]) -> tuple[list[Sheet], list[TableError]]:
    sheets: list[Sheet] = []
    problems: list[TableError] = []
    for path in expand(paths):
        try:
            if not path.is_file():
                raise TableError(str(path), "no such file")
            suffix = path.suffix.lower()
            if suffix == ".csv":
                sheets.append(read_csv(path))
            elif suffix == ".xlsx":
                sheets.extend(read_xlsx(path))
            else:
                raise TableError(path.name, "only .csv and .xlsx files can be imported")
        except TableError as exc:
            problems.append(exc)
    return sheets, problems
