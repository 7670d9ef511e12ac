"""Reading roster files as people keep them: Excel's GBK CSV, Chinese headers and sheet names,
numbers where we mean text. No database: ``rows.parse`` is pure."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from backend.stations.rows import parse
from backend.stations.tables import MAX_ROWS, read_tables


def test_a_gbk_csv_with_chinese_headers_reads_like_the_english_one(tmp_path: Path) -> None:
    (tmp_path / "快递员.csv").write_bytes(
        "工号,姓名,手机号,车型,密码\r\nE7001,韩梅梅,139 0571 0001,面包车,\r\n\r\n".encode("gb18030")
    )

    sheets, problems = read_tables([tmp_path])
    plan, errors = parse(sheets, problems)

    assert problems == []
    assert [str(e) for e in errors] == [
        "station: no station file or sheet was given / 缺少站点信息 [station_missing]"
    ]
    (courier,) = plan.couriers
    assert (courier.at.source, courier.at.line) == ("快递员.csv", 2)
    assert (courier.employee_no, courier.name, courier.phone, courier.vehicle_type) == (
        "E7001",
        "韩梅梅",
        "+8613905710001",
        "van",
    )
    assert courier.password is None


def test_excel_numbers_come_back_as_the_text_people_typed(tmp_path: Path) -> None:
    book = Workbook()
    station = book.active
    assert station is not None
    station.title = "站点"
    station.append(["code", "name", "address", "lat", "lng", "phone"])
    station.append(["WZLC", "温州鹿城站", "温州市鹿城区1号", 28.0, 120.65, None])
    zones = book.create_sheet("片区")
    zones.append(["code", "name", "postcodes"])
    zones.append([101, "五马街片区", 325000.0])
    book.save(tmp_path / "wz.xlsx")

    plan, errors = parse(*read_tables([tmp_path / "wz.xlsx"]))

    assert errors == []
    assert plan.station is not None
    assert (plan.station.code, plan.station.lat, plan.station.time_zone) == ("WZLC", 28.0, "Asia/Shanghai")
    (zone,) = plan.zones
    assert (zone.at.source, zone.at.line, zone.code, zone.postcodes) == (
        "wz.xlsx[片区]",
        2,
        "101",
        ["325000"],
    )


def test_unreadable_and_oversized_files_are_reported_against_the_file(tmp_path: Path) -> None:
    (tmp_path / "couriers.xlsx").write_bytes(b"not a zip")
    (tmp_path / "zones.csv").write_text("code,name,postcodes\n" + "Z,x,310000\n" * (MAX_ROWS + 1))

    _, problems = read_tables([tmp_path])

    assert [(p.source, p.message) for p in problems] == [
        ("couriers.xlsx", "not a readable XLSX workbook: File is not a zip file"),
        ("zones.csv", f"more than {MAX_ROWS} rows: is this the right file?"),
    ]
