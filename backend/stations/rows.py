"""Checking the onboarding sheets row by row: every bad cell becomes a ``RowError`` with its file,
line and column, and the good rows become a ``Plan`` for ``services.station_onboard``.

Pure apart from the shared validators: no database here (``services`` adds what only the database
knows, such as an employee number already in use). Every error is collected, none stops the check,
so a station manager fixes the whole file in one pass.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.common.errors import DomainError
from backend.common.validators import clean_coordinates, clean_phone
from backend.couriers.models import VehicleType
from backend.couriers.selectors import STATION_CODE
from backend.stations.formats import (
    COLUMNS,
    COURIERS,
    DEFAULT_TIME_ZONE,
    KIND_NAMES,
    KINDS,
    LIST_SEPARATORS,
    MAX_INT,
    MAX_LEN,
    MIN_PASSWORD,
    POSTCODE,
    STATION,
    SUPERVISORS,
    TARIFF_INTS,
    TARIFF_TEXT,
    TARIFFS,
    USERNAME,
    VEHICLE_NAMES,
    ZONES,
    header_name,
)
from backend.stations.manager_rows import as_manager, split_by_role
from backend.stations.plan import (
    At,
    CourierSpec,
    Plan,
    RowError,
    StationSpec,
    SupervisorSpec,
    TariffSpec,
    ZoneSpec,
)
from backend.stations.tables import Sheet, TableError
from parcelkit.rules.pricing import Tariff


class _Row:
    """One row's cells by column; each getter records its own error and returns None on a bad cell."""

    def __init__(self, sheet: Sheet, line: int, cells: dict[str, str], errors: list[RowError]) -> None:
        self.at = At(sheet.source, line)
        self.cells = cells
        self.errors = errors
        self.bad = False

    def error(self, column: str, code: str, message: str) -> None:
        self.bad = True
        self.errors.append(RowError(self.at.source, self.at.line, column, code, message))

    def text(self, column: str, *, required: bool = False, max_len: int | None = None) -> str | None:
        value = self.cells.get(column, "").strip()
        if required and not value:
            self.error(column, "required", f"{column} is required")
            return None
        if max_len is not None and len(value) > max_len:
            self.error(column, "too_long", f"{column} is {len(value)} characters, at most {max_len}")
            return None
        return value

    def number(self, column: str) -> float | None:
        value = self.text(column, required=True)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            self.error(column, "not_a_number", f"{column} {value!r} is not a number")
            return None
        if number != number or number in (float("inf"), float("-inf")):
            self.error(column, "not_a_number", f"{column} {value!r} is not a number")
            return None
        return number

    def integer(self, column: str, *, required: bool) -> int | None:
        value = self.text(column, required=required)
        if not value:
            return None
        # "1,500" and "300000.0" are how spreadsheets show whole numbers.
        plain = value.replace(",", "").removesuffix(".0")
        if not plain.isdigit() or int(plain) > MAX_INT:
            self.error(column, "not_an_integer", f"{column} {value!r} is not a whole number 0–{MAX_INT}")
            return None
        return int(plain)

    def password(self) -> str | None:
        value = self.cells.get("password", "")
        if not value:
            return None
        if len(value) < MIN_PASSWORD:
            # The value itself is never echoed: reports are shared and pasted into chats.
            self.error(
                "password", "password_too_short", f"a password needs at least {MIN_PASSWORD} characters"
            )
            return None
        return value

    def phone(self, *, required: bool) -> str | None:
        value = self.text("phone", required=required)
        if not value:
            return None if required else ""
        try:
            return clean_phone(value)
        except DomainError as exc:
            self.error("phone", exc.code, exc.message)
            return None

    def items(self, column: str) -> list[str]:
        return list(
            dict.fromkeys(v.strip() for v in LIST_SEPARATORS.split(self.cells.get(column, "")) if v.strip())
        )


def _columns(sheet: Sheet, kind: str, errors: list[RowError]) -> list[str] | None:
    """The sheet's header as canonical column names; None (with errors) when it does not fit ``kind``."""
    required, optional = COLUMNS[kind]
    names = [header_name(h) for h in sheet.header]
    ok = True
    seen: set[str] = set()
    for raw, name in zip(sheet.header, names, strict=True):
        if not name:
            continue
        if name in seen:
            errors.append(RowError(sheet.source, 1, raw, "duplicate_column", f"column {raw!r} appears twice"))
            ok = False
        seen.add(name)
        if name not in required and name not in optional:
            known = ", ".join(required + optional)
            errors.append(
                RowError(
                    sheet.source, 1, raw, "unknown_column", f"unknown column {raw!r}; {kind} has: {known}"
                )
            )
            ok = False
    for name in required:
        if name not in seen:
            errors.append(
                RowError(sheet.source, 1, name, "missing_column", f"the column {name!r} is missing")
            )
            ok = False
    return names if ok else None


def _rows(sheet: Sheet, names: list[str], errors: list[RowError]) -> list[_Row]:
    out = []
    for line, cells in sheet.rows:
        values = {n: (cells[i] if i < len(cells) else "") for i, n in enumerate(names) if n}
        out.append(_Row(sheet, line, values, errors))
    return out


def _station(rows: list[_Row], sheet: Sheet, errors: list[RowError]) -> StationSpec | None:
    if len(rows) != 1:
        errors.append(
            RowError(sheet.source, 0, "", "one_station", f"give exactly one station row, not {len(rows)}")
        )
        return None
    row = rows[0]
    code = row.text("code", required=True)
    if code and not STATION_CODE.fullmatch(code):
        row.error("code", "invalid", f"station code {code!r} must be 1–16 letters, digits, - or _")
    name = row.text("name", required=True, max_len=MAX_LEN["station_name"])
    address = row.text("address", required=True, max_len=MAX_LEN["address"])
    lat, lng = row.number("lat"), row.number("lng")
    if lat is not None and lng is not None:
        try:
            clean_coordinates(lat, lng)
        except DomainError as exc:
            row.error("lat", exc.code, exc.message)
    time_zone = row.text("time_zone") or DEFAULT_TIME_ZONE
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        row.error("time_zone", "invalid", f"{time_zone!r} is not an IANA time zone such as Asia/Shanghai")
    # Checked like a courier's, kept as typed: customers read it (0571-88886666), nobody dials it by code.
    phone = row.text("phone", max_len=20) if row.phone(required=False) is not None else None
    if row.bad or None in (code, name, address, lat, lng, phone):
        return None
    assert code and name and address and lat is not None and lng is not None and phone is not None
    return StationSpec(row.at, code, name, address, lat, lng, time_zone, phone)


def _supervisor(row: _Row) -> SupervisorSpec | None:
    username = row.text("username", required=True, max_len=MAX_LEN["username"])
    if username and not USERNAME.fullmatch(username):
        row.error("username", "invalid", f"username {username!r} may hold only letters, digits and @ . + - _")
    name = row.text("name", required=True, max_len=MAX_LEN["name"])
    password = row.password()
    if row.bad or not username or not name:
        return None
    return SupervisorSpec(row.at, username, name, password)


def _courier(row: _Row) -> CourierSpec | None:
    employee_no = row.text("employee_no", required=True, max_len=MAX_LEN["employee_no"])
    name = row.text("name", required=True, max_len=MAX_LEN["name"])
    phone = row.phone(required=True)
    vehicle_raw = row.text("vehicle_type") or VehicleType.E_TRICYCLE
    vehicle = VEHICLE_NAMES.get(vehicle_raw.lower())
    if vehicle is None:
        row.error(
            "vehicle_type",
            "invalid",
            f"vehicle_type {vehicle_raw!r} is not one of {', '.join(VehicleType.values)}",
        )
    capacity_g = row.integer("capacity_g", required=False)
    capacity_cm3 = row.integer("capacity_cm3", required=False)
    password = row.password()
    if row.bad or not employee_no or not name or not phone or vehicle is None:
        return None
    return CourierSpec(row.at, employee_no, name, phone, str(vehicle), capacity_g, capacity_cm3, password)


def _zone(row: _Row) -> ZoneSpec | None:
    code = row.text("code", required=True, max_len=MAX_LEN["zone_code"])
    name = row.text("name", required=True, max_len=MAX_LEN["zone_name"])
    prefixes = row.items("address_prefixes")
    postcodes = row.items("postcodes")
    for postcode in postcodes:
        if not POSTCODE.fullmatch(postcode):
            row.error("postcodes", "invalid_postcode", f"postcode {postcode!r} is not 6 digits")
    if not prefixes and not postcodes:
        row.error("address_prefixes", "empty_zone", "a zone needs at least one address prefix or postcode")
    courier = row.text("courier") or None
    if row.bad or not code or not name:
        return None
    return ZoneSpec(row.at, code, name, prefixes, postcodes, courier)


def _tariff(row: _Row, station_code: str | None) -> TariffSpec | None:
    values: dict[str, str | int] = {}
    for column in TARIFF_TEXT:
        text = row.text(column, required=True, max_len=64)
        if text:
            values[column] = text
    for column in TARIFF_INTS:
        number = row.integer(column, required=True)
        if number is not None:
            values[column] = number
    origin = row.text("origin")
    if origin and station_code and origin != station_code:
        row.error("origin", "other_station", f"origin {origin!r} is not this station ({station_code})")
    if row.bad:
        return None
    try:  # the positive-field rules, exactly as the handheld and the server will parse the book
        Tariff(origin=station_code or "X", **values)  # type: ignore[arg-type]
    except ValueError as exc:
        column = next((c for c in TARIFF_INTS if c in str(exc)), "")
        row.error(column, "invalid_tariff", str(exc))
        return None
    return TariffSpec(row.at, values)


def _duplicates(rows: list[_Row], columns: tuple[str, ...], what: str) -> None:
    """Report each row repeating an earlier row's key, bad rows included: one pass finds them all."""
    first: dict[tuple[str, ...], _Row] = {}
    for row in rows:
        key = tuple(row.cells.get(c, "").strip().lower() for c in columns)
        if not all(key):
            continue  # a missing key is already "required"
        if key in first:
            shown = "/".join(row.cells[c].strip() for c in columns)
            row.error(columns[0], "duplicate", f"{what} {shown!r} is already on line {first[key].at.line}")
        else:
            first[key] = row


def sheet_kinds(sheets: list[Sheet], problems: list[TableError], errors: list[RowError]) -> dict[str, Sheet]:
    for problem in problems:
        errors.append(RowError(problem.source, 0, "", "unreadable", problem.message))
    by_kind: dict[str, Sheet] = {}
    for sheet in sheets:
        kind = KIND_NAMES.get(sheet.name.strip().lower())
        if kind is None:
            errors.append(
                RowError(
                    sheet.source,
                    0,
                    "",
                    "unknown_sheet",
                    f"{sheet.name!r} is not one of {', '.join(KINDS)} (name files or sheets after what they hold)",
                )
            )
        elif kind in by_kind:
            errors.append(
                RowError(sheet.source, 0, "", "duplicate_sheet", f"{kind} is also in {by_kind[kind].source}")
            )
        else:
            by_kind[kind] = sheet
    return by_kind


def parse(sheets: list[Sheet], problems: list[TableError] | None = None) -> tuple[Plan, list[RowError]]:
    """Check every sheet; the plan holds only the rows without errors (use it only when there are none)."""
    errors: list[RowError] = []
    by_kind = sheet_kinds(sheets, problems or [], errors)
    plan = Plan()
    rows: dict[str, list[_Row]] = {}
    for kind, sheet in by_kind.items():
        names = _columns(sheet, kind, errors)
        if names is not None:
            rows[kind] = _rows(sheet, names, errors)
    if STATION not in by_kind:
        errors.append(RowError("station", 0, "", "station_missing", "no station file or sheet was given"))
    elif STATION in rows:
        plan.station = _station(rows[STATION], by_kind[STATION], errors)
    code = plan.station.code if plan.station else None
    supervisor_rows, manager_rows = split_by_role(rows.get(SUPERVISORS, []))
    plan.supervisors = [s for r in supervisor_rows if (s := _supervisor(r))]
    plan.managers = [m for r in manager_rows if (m := as_manager(r, _supervisor(r)))]
    plan.couriers = [c for r in rows.get(COURIERS, []) if (c := _courier(r))]
    plan.zones = [z for r in rows.get(ZONES, []) if (z := _zone(r))]
    plan.tariffs = [t for r in rows.get(TARIFFS, []) if (t := _tariff(r, code))]
    _cross_checks(rows)
    order = {sheet.source: KINDS.index(kind) for kind, sheet in by_kind.items()}
    errors.sort(key=lambda e: (order.get(e.source, -1), e.line))  # stable: a row's columns stay in order
    return plan, errors


def _cross_checks(rows: dict[str, list[_Row]]) -> None:
    _duplicates(rows.get(SUPERVISORS, []), ("username",), "username")
    # Logins are made from lower-cased employee numbers: E001 and e001 would be one user.
    _duplicates(rows.get(COURIERS, []), ("employee_no",), "employee number")
    _duplicates(rows.get(ZONES, []), ("code",), "zone code")
    _duplicates(rows.get(TARIFFS, []), ("destination_region", "service_level"), "tariff")
    # Checked against every courier row, valid or not: a bad courier row is reported once, on itself.
    listed = {r.cells.get("employee_no", "").strip() for r in rows.get(COURIERS, [])}
    for row in rows.get(ZONES, []):
        courier = row.cells.get("courier", "").strip()
        if courier and courier not in listed:
            row.error("courier", "unknown_courier", f"courier {courier!r} is not in this import's couriers")
