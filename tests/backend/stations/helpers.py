"""The onboarding fixture files (tests/fixtures/onboarding/) and what tests build from them."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

from backend.couriers.models import Courier, Station, Supervisor, Zone
from backend.pickup.models import TariffBookVersion

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "onboarding"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"
KINDS = ("station", "supervisors", "couriers", "zones", "tariffs")
# Cells Excel holds as numbers: the reader must turn 13905710000.0 back into a phone, 310051 into a postcode.
NUMERIC = {"lat", "lng", "phone", "postcodes", "capacity_g"}


def _cell(column: str, value: str) -> object:
    if column in NUMERIC and value.replace(".", "", 1).isdigit():
        return float(value)
    if value.isdigit() and column.endswith(("_g", "_fen", "_mm", "_permille", "_kg")):
        return int(value)
    return value or None


def write_workbook(source: Path, target: Path) -> Path:
    """One workbook with a sheet per CSV file of ``source``, numbers stored as numbers."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for kind in KINDS:
        rows = list(csv.reader((source / f"{kind}.csv").open(encoding="utf-8")))
        sheet = book.create_sheet(kind)
        sheet.append(rows[0])
        for row in rows[1:]:
            sheet.append([_cell(col, value) for col, value in zip(rows[0], row, strict=True)])
    book.save(target)
    return target


def counts() -> dict[str, int]:
    from django.contrib.auth.models import User

    return {
        "stations": Station.objects.count(),
        "users": User.objects.count(),
        "supervisors": Supervisor.objects.count(),
        "couriers": Courier.objects.count(),
        "zones": Zone.objects.count(),
        "tariff_books": TariffBookVersion.objects.count(),
    }
