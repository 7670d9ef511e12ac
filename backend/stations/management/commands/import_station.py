"""``manage.py import_station DIR_OR_FILES… [--dry-run] [--passwords-out FILE]``: open a station from
its roster files (docs/station-guide.md, "Onboarding a station").

Thin: reads the files, calls ``stations.services.station_onboard``, prints the report. Any bad row
makes the command exit non-zero having changed nothing.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.stations.services import OnboardReport, station_onboard
from backend.stations.tables import read_tables


class Command(BaseCommand):
    help = (
        "Create a station with its supervisors, managers, couriers, zones and tariff book from CSV/XLSX files "
        "(station, supervisors, couriers, zones, tariffs). All or nothing; --dry-run only checks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="a directory of files, or the files")
        parser.add_argument("--dry-run", action="store_true", help="check everything, change nothing")
        parser.add_argument(
            "--passwords-out",
            type=Path,
            default=None,
            help="write the generated initial passwords to this new file (mode 600) instead of printing them",
        )

    def handle(
        self, *args: Any, paths: list[Path], dry_run: bool, passwords_out: Path | None, **o: Any
    ) -> None:
        sheets, problems = read_tables(paths)
        # Created before anything is written: a passwords file that cannot be made must not leave a
        # station whose generated passwords nobody ever saw.
        out = self._open(passwords_out) if passwords_out is not None and not dry_run else None
        try:
            report = station_onboard(sheets=sheets, problems=problems, dry_run=dry_run)
            if not report.ok:
                for error in report.errors:
                    self.stderr.write(str(error))
                raise CommandError(
                    f"{len(report.errors)} error(s); nothing was changed / "
                    f"共 {len(report.errors)} 处错误，未做任何更改"
                )
            self._summary(report)
            if report.applied:
                self._passwords(report, out, passwords_out)
        finally:
            if out is not None:
                out.close()
                if passwords_out is not None and passwords_out.stat().st_size == 0:
                    passwords_out.unlink()  # nothing was generated (or nothing was created)

    def _open(self, path: Path) -> TextIO:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise CommandError(f"cannot create {path} for the passwords: {exc.strerror}") from None
        return os.fdopen(fd, "w", newline="", encoding="utf-8")

    def _summary(self, report: OnboardReport) -> None:
        c = report.counts
        what = (
            f"station {report.station_code} with {c['supervisors']} supervisor(s), "
            + (f"{c['managers']} manager(s), " if c["managers"] else "")
            + f"{c['couriers']} courier(s), "
            f"{c['zones']} zone(s), {c['tariffs']} tariff(s)"
        )
        if report.dry_run:
            self.stdout.write(f"Dry run: all rows are valid; would create {what}. Nothing was changed.")
            self.stdout.write("试运行：所有行均有效；未做任何更改。")
            return
        book = f", tariff book v{report.tariff_version}" if report.tariff_version else ""
        self.stdout.write(f"Created {what}{book}.")
        self.stdout.write(f"站点 {report.station_code} 已开通。")

    def _passwords(self, report: OnboardReport, out: TextIO | None, path: Path | None) -> None:
        generated = [c for c in report.credentials if c.password]
        if not generated:
            return
        if out is None:
            # Shown once, here; the passwords are stored nowhere else (only their hashes).
            self.stdout.write(
                "Initial passwords (shown once: hand each to its owner) / 初始密码（仅显示一次，请分别交给本人）:"
            )
            for c in generated:
                self.stdout.write(f"  {c.role:<10} {c.login:<20} {c.password}  {c.name}")
            return
        writer = csv.writer(out)
        writer.writerow(["role", "login", "password", "name"])
        for c in generated:
            writer.writerow([c.role, c.login, c.password, c.name])
        self.stdout.write(f"{len(generated)} initial password(s) written to {path} / 初始密码已写入该文件")
