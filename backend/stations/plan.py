"""What a checked onboarding sheet becomes: a ``Plan`` of specs for ``services.station_onboard``, and
the ``RowError`` of each bad cell. ``rows`` (and ``manager_rows``) build them; no database here."""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.stations.formats import ZH


@dataclass(frozen=True)
class RowError:
    """One bad cell (or row, or file): where it is, what is wrong, in English and Chinese."""

    source: str
    line: int  # the line in the CSV file or the row in the sheet; the header is line 1; 0: the whole file
    field: str  # the column; "" when the whole row or file is wrong
    code: str
    message: str

    @property
    def message_zh(self) -> str:
        return ZH.get(self.code, "错误")

    def __str__(self) -> str:
        where = f"{self.source}, line {self.line}" if self.line else self.source
        if self.field:
            where += f", {self.field}"
        return f"{where}: {self.message} / {self.message_zh} [{self.code}]"


@dataclass(frozen=True)
class At:
    source: str
    line: int


@dataclass(frozen=True)
class ManagerSpec:
    at: At
    username: str
    name: str
    phone: str  # E.164
    password: str | None  # None: generate one (or none at all: an existing manager)


@dataclass(frozen=True)
class StationSpec:
    at: At
    code: str
    name: str
    address: str
    lat: float
    lng: float
    time_zone: str
    phone: str


@dataclass(frozen=True)
class SupervisorSpec:
    at: At
    username: str
    name: str
    password: str | None  # None: generate one


@dataclass(frozen=True)
class CourierSpec:
    at: At
    employee_no: str
    name: str
    phone: str
    vehicle_type: str
    capacity_g: int | None
    capacity_cm3: int | None
    password: str | None


@dataclass(frozen=True)
class ZoneSpec:
    at: At
    code: str
    name: str
    address_prefixes: list[str]
    postcodes: list[str]
    courier: str | None  # an employee number of this import


@dataclass(frozen=True)
class TariffSpec:
    at: At
    values: dict[str, str | int]  # a Tariff's fields but ``origin`` (the station's code)


@dataclass
class Plan:
    station: StationSpec | None = None
    supervisors: list[SupervisorSpec] = field(default_factory=list)
    managers: list[ManagerSpec] = field(default_factory=list)  # the supervisors sheet's ``manager`` rows
    couriers: list[CourierSpec] = field(default_factory=list)
    zones: list[ZoneSpec] = field(default_factory=list)
    tariffs: list[TariffSpec] = field(default_factory=list)
