"""``manage.py import_station``: a station with 30 couriers, 30 zones and a tariff book from CSV or
XLSX, all or nothing; every bad row reported by file, line and column; a dry run changes nothing."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from backend.accounts.roles import Role, principal_of
from backend.couriers.models import Courier, Station, Supervisor, Zone
from backend.couriers.services import courier_create
from backend.pickup.selectors import tariff_book_current
from backend.stations import selectors
from tests.backend.stations.helpers import BAD, GOOD, counts, write_workbook

pytestmark = pytest.mark.django_db
# 23:30 UTC is already the next day in Shanghai: the book takes effect on the station's date.
AT = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)


def make_courier_with(station: Station, employee_no: str) -> Courier:
    return courier_create(
        station_id=station.pk,
        employee_no=employee_no,
        name="先来者",
        phone="13905719999",
        password="long-enough-1",
    )


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with time_machine.travel(AT, tick=False):
        call_command("import_station", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(*args: str) -> tuple[str, list[str]]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_station", *args, stdout=out, stderr=err)
    return str(exc.value), err.getvalue().splitlines()


def assert_station_onboarded() -> None:
    station = Station.objects.get(code="HZBJ")
    assert (station.name, station.time_zone, station.phone) == (
        "杭州滨江站",
        "Asia/Shanghai",
        "0571-88886666",
    )
    assert (station.lat, station.lng) == (30.2084, 120.2112)
    couriers = Courier.objects.filter(station=station).order_by("employee_no")
    assert couriers.count() == 30
    first, fourth, fifth = couriers[0], couriers[3], couriers[4]
    assert (first.employee_no, first.name, first.phone) == ("E2001", "王伟", "+8613905710000")
    assert (first.vehicle_type, first.capacity_g) == ("e_tricycle", 250_000)
    assert (fourth.vehicle_type, fourth.capacity_g, fourth.capacity_cm3) == ("van", 253_000, 6_000_000)
    assert fifth.vehicle_type == "e_tricycle"  # written 电动三轮 in the file
    zones = Zone.objects.filter(station=station).order_by("code")
    assert zones.count() == 30
    z2 = zones.get(code="Z02")
    assert (z2.address_prefixes, z2.postcodes, z2.courier) == (
        ["滨江区滨盛路", "滨江区滨盛路东段"],
        ["310052"],
        couriers.get(employee_no="E2002"),
    )
    assert zones.filter(courier__isnull=True).count() == 2
    book = tariff_book_current("HZBJ", on=date(2026, 11, 25))
    assert book is not None and book.version == 1
    assert book.effective_date == date(2026, 11, 25)  # the station's date at AT, not UTC's
    assert len(book.book["tariffs"]) == 12
    # The supervisors are supervisors of this station by role; the given password works.
    wang = Supervisor.objects.get(user__username="hzbj-wang")
    principal = principal_of(wang.user)
    assert (principal.role, principal.station_id) == (Role.SUPERVISOR, station.pk)
    assert authenticate(username="hzbj-wang", password="Welcome-2026") == wang.user
    assert principal_of(first.user).role is Role.COURIER


def test_a_station_is_onboarded_from_csv_with_generated_passwords_printed_once() -> None:
    out, err = run(str(GOOD))

    assert_station_onboarded()
    assert (
        "Created station HZBJ with 2 supervisor(s), 30 courier(s), 30 zone(s), 12 tariff(s), tariff book v1."
        in out
    )
    # One supervisor and all 30 couriers had no password in the file: theirs were generated and shown.
    lines = [line.split() for line in out.splitlines() if line.startswith("  ")]
    assert len(lines) == 31
    role, login, password, _name = lines[0]
    assert (role, login) == ("supervisor", "hzbj-li")
    assert authenticate(username="hzbj-li", password=password) is not None
    role, login, password, _name = lines[1]
    assert (role, login) == ("courier", "E2001")
    assert authenticate(username="courier-e2001", password=password) is not None
    assert "Welcome-2026" not in out + err  # a password from the file is never echoed


def test_the_same_station_from_one_xlsx_workbook(tmp_path: Path) -> None:
    workbook = write_workbook(GOOD, tmp_path / "hzbj.xlsx")
    secrets_file = tmp_path / "passwords.csv"

    out, _ = run(str(workbook), "--passwords-out", str(secrets_file))

    assert_station_onboarded()
    assert "31 initial password(s) written to" in out
    rows = list(csv.DictReader(secrets_file.open(encoding="utf-8")))
    assert len(rows) == 31 and secrets_file.stat().st_mode & 0o777 == 0o600
    assert authenticate(username="courier-e2030", password=rows[-1]["password"]) is not None


BAD_ROWS = [
    "station.csv, line 2, lat: lat 'north' is not a number / 不是有效数字 [not_a_number]",
    "supervisors.csv, line 2, password: a password needs at least 8 characters / 密码至少8位 [password_too_short]",
    "supervisors.csv, line 3, username: username 'hzxs zhou' may hold only letters, digits and @ . + - _"
    " / 无效 [invalid]",
    "couriers.csv, line 3, phone: '12345' is not a valid phone number / 手机号无效 [invalid_phone]",
    "couriers.csv, line 5, employee_no: employee number 'E3003' is already on line 4 / 在文件中重复 [duplicate]",
    "couriers.csv, line 6, vehicle_type: vehicle_type 'truck' is not one of e_tricycle, e_bike, van, on_foot"
    " / 无效 [invalid]",
    "couriers.csv, line 7, capacity_g: capacity_g '3 t' is not a whole number 0–2147483647 / 不是非负整数"
    " [not_an_integer]",
    "zones.csv, line 3, postcodes: postcode '31005' is not 6 digits / 邮编应为6位数字 [invalid_postcode]",
    "zones.csv, line 4, courier: courier 'E9999' is not in this import's couriers / 快递员不在本次导入中"
    " [unknown_courier]",
    "zones.csv, line 5, address_prefixes: a zone needs at least one address prefix or postcode"
    " / 片区至少需要一个地址前缀或邮编 [empty_zone]",
    "zones.csv, line 5, courier: courier 'E3004' is not in this import's couriers / 快递员不在本次导入中"
    " [unknown_courier]",
    "tariffs.csv, line 2, first_price_fen: first_price_fen '-5' is not a whole number 0–2147483647"
    " / 不是非负整数 [not_an_integer]",
    "tariffs.csv, line 3, step_g: tariff field step_g must be positive / 资费无效 [invalid_tariff]",
    "tariffs.csv, line 4, destination_region: tariff '浙江/standard' is already on line 2 / 在文件中重复"
    " [duplicate]",
]


@pytest.mark.parametrize("dry_run", [False, True], ids=["import", "dry-run"])
def test_a_file_with_errors_reports_every_bad_row_and_changes_nothing(dry_run: bool) -> None:
    before = counts()

    message, errors = refused(str(BAD), *(["--dry-run"] if dry_run else []))

    assert errors == BAD_ROWS
    assert message == "14 error(s); nothing was changed / 共 14 处错误，未做任何更改"
    assert counts() == before


def test_one_bad_row_in_an_otherwise_good_import_changes_nothing(tmp_path: Path) -> None:
    files = shutil.copytree(GOOD, tmp_path / "hzbj")
    rows = (files / "zones.csv").read_text(encoding="utf-8").splitlines()
    rows[30] = rows[30].replace("310053", "3100")  # the last zone, line 31
    (files / "zones.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    before = counts()

    _, errors = refused(str(files))

    assert errors == [
        "zones.csv, line 31, postcodes: postcode '3100' is not 6 digits / 邮编应为6位数字 [invalid_postcode]"
    ]
    assert counts() == before


def test_errors_in_a_workbook_name_the_sheet_and_its_row(tmp_path: Path) -> None:
    _, errors = refused(str(write_workbook(BAD, tmp_path / "xiaoshan.xlsx")))

    assert (
        errors[0]
        == "xiaoshan.xlsx[station], line 2, lat: lat 'north' is not a number / 不是有效数字 [not_a_number]"
    )
    assert len(errors) == len(BAD_ROWS)


def test_a_dry_run_checks_everything_and_changes_nothing() -> None:
    before = counts()

    out, _ = run(str(GOOD), "--dry-run")

    assert out.splitlines()[0] == (
        "Dry run: all rows are valid; would create station HZBJ with 2 supervisor(s), 30 courier(s), "
        "30 zone(s), 12 tariff(s). Nothing was changed."
    )
    assert "password" not in out.lower()
    assert counts() == before


def test_importing_the_same_station_again_is_refused_on_the_station_row() -> None:
    run(str(GOOD))
    before = counts()

    _, errors = refused(str(GOOD))

    assert errors[0] == (
        "station.csv, line 2, code: station HZBJ already exists; an import only creates a new station "
        "(change a running station in the admin) / 站点已存在，不能重复开通 [station_exists]"
    )
    assert errors[1] == (
        "supervisors.csv, line 2, username: the username 'hzbj-wang' is already in use / 已被占用 [taken]"
    )
    assert errors[3] == (
        "couriers.csv, line 2, employee_no: employee number E2001 is already in use / 已被占用 [taken]"
    )
    assert len(errors) == 1 + 2 + 30
    assert refused(str(GOOD), "--dry-run")[1] == errors  # the dry run asks the database too
    assert counts() == before


def test_files_that_are_not_an_onboarding_set_are_reported(tmp_path: Path) -> None:
    (tmp_path / "staff.csv").write_text("id,name\n1,x\n", encoding="utf-8")
    (tmp_path / "couriers.csv").write_text("employee_no,name,mobile\nE1,张三,13905710000\n", encoding="utf-8")

    _, errors = refused(str(tmp_path))

    assert errors == [
        "staff.csv: 'staff' is not one of station, supervisors, couriers, zones, tariffs (name files or sheets "
        "after what they hold) / 无法识别的文件或工作表 [unknown_sheet]",
        "station: no station file or sheet was given / 缺少站点信息 [station_missing]",
        "couriers.csv, line 1, mobile: unknown column 'mobile'; couriers has: employee_no, name, phone, "
        "vehicle_type, capacity_g, capacity_cm3, password / 无法识别的列 [unknown_column]",
        "couriers.csv, line 1, phone: the column 'phone' is missing / 缺少列 [missing_column]",
    ]


def test_a_service_refusing_mid_import_is_reported_on_its_row_and_undoes_everything(
    monkeypatch: pytest.MonkeyPatch, station: Station
) -> None:
    # Someone hires E2030 at another station between the check and the write: the check missed it.
    make_courier_with(station, "E2030")
    monkeypatch.setattr(selectors, "employee_nos_taken", lambda numbers: set())
    monkeypatch.setattr(selectors, "usernames_taken", lambda names: set())
    before = counts()

    _, errors = refused(str(GOOD))

    assert errors == ["couriers.csv, line 31, employee_no: employee number E2030 is taken / 无效 [invalid]"]
    assert counts() == before
    assert not Station.objects.filter(code="HZBJ").exists()


def test_the_passwords_file_is_made_before_anything_is_written_and_only_kept_when_used(
    tmp_path: Path,
) -> None:
    existing = tmp_path / "old.csv"
    existing.write_text("keep me", encoding="utf-8")
    message, _ = refused(str(GOOD), "--passwords-out", str(existing))
    assert message.startswith(f"cannot create {existing} for the passwords: File exists")
    assert not Station.objects.exists() and existing.read_text(encoding="utf-8") == "keep me"

    unused = tmp_path / "bad-import-passwords.csv"
    refused(str(BAD), "--passwords-out", str(unused))
    assert not unused.exists()
