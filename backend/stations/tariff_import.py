"""A station's new tariff book from a ``tariffs`` file: the admin's "Publish a tariff book" page.

The same columns and checks as the onboarding import's ``tariffs`` table (docs/station-guide.md
§1.1), and the same all-or-nothing rule: every bad row is reported by line and column and nothing
is published; a dry run only checks. Publishing goes through ``pickup.services.tariff_book_publish``
as the person doing it (a station manager of that station, or an admin), which versions the book
and announces it to the station's handhelds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.common.errors import DomainError
from backend.pickup.services import tariff_book_publish
from backend.shipments.context import Ctx
from backend.stations.formats import KIND_NAMES, TARIFFS
from backend.stations.plan import RowError
from backend.stations.rows import _columns, _duplicates, _rows, _tariff
from backend.stations.tables import Sheet, TableError


@dataclass
class TariffReport:
    dry_run: bool
    errors: list[RowError] = field(default_factory=list)
    count: int = 0
    version: int | None = None  # set when a book was published

    @property
    def ok(self) -> bool:
        return not self.errors


def _the_sheet(sheets: list[Sheet], errors: list[RowError]) -> Sheet | None:
    # One file or sheet: whatever its name (people call it 资费2027.xlsx); several: the tariffs one.
    if len(sheets) == 1:
        return sheets[0]
    named = [s for s in sheets if KIND_NAMES.get(s.name.strip().lower()) == TARIFFS]
    if len(named) != 1:
        errors.append(RowError("tariffs", 0, "", "one_tariff_table", "give one tariffs file or sheet"))
        return None
    return named[0]


def tariff_book_import(
    *, sheets: list[Sheet], problems: list[TableError], origin: str, ctx: Ctx, dry_run: bool = False
) -> TariffReport:
    """Check the tariffs of ``origin`` (a station code) and, unless ``dry_run``, publish them as its
    next book version. ``permission_denied`` (raised) when the actor may not publish for ``origin``."""
    report = TariffReport(dry_run=dry_run)
    for problem in problems:
        report.errors.append(RowError(problem.source, 0, "", "unreadable", problem.message))
    sheet = _the_sheet(sheets, report.errors)
    if sheet is None or report.errors:
        return report
    names = _columns(sheet, TARIFFS, report.errors)
    if names is None:
        return report
    rows = _rows(sheet, names, report.errors)
    tariffs = [t for r in rows if (t := _tariff(r, origin))]
    _duplicates(rows, ("destination_region", "service_level"), "tariff")
    report.errors.sort(key=lambda e: e.line)
    if not rows:
        report.errors.append(RowError(sheet.source, 0, "", "required", "the file has no tariff rows"))
    report.count = len(tariffs)
    if report.errors or dry_run:
        return report
    book = {"tariffs": [{"origin": origin, **t.values} for t in tariffs]}
    try:
        report.version = tariff_book_publish(ctx=ctx, origin=origin, book_json=book).version
    except DomainError as exc:
        if exc.code in ("permission_denied", "wrong_role"):
            raise
        report.errors.append(RowError(sheet.source, 0, "", exc.code, exc.message))
    return report
