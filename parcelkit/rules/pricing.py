"""Tariffs and quotes for a parcel picked up at the door.

Plain Python on purpose: the handheld quotes offline from the day's tariff book and the backend imports
this same module to re-price on sync, so both sides can never disagree about a fen.

Units are integers throughout: money in fen, weight in grams, sizes in millimetres. Every rounding is
upwards (the customer pays for a started step, a started gram, a started fen), and integer arithmetic
keeps the handheld and the server bit-for-bit identical.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any


class QuoteError(Exception):
    """Bad input for a quote; ``code`` is stable and shown to API clients and the courier UI."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


ERROR_CODES = (
    "invalid_input",
    "unknown_service_level",
    "no_tariff_for_destination",
    "weight_not_positive",
    "weight_over_limit",
    "dimension_out_of_range",
    "amount_negative",
    "declared_value_over_cap",
)


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@dataclass(frozen=True)
class Tariff:
    origin: str
    destination_region: str
    service_level: str
    first_weight_g: int
    first_price_fen: int
    step_g: int
    step_price_fen: int
    volumetric_divisor_cm3_per_kg: int
    max_weight_g: int
    max_side_mm: int
    # Girth = longest side + 2 * (the other two); carriers cap it because long thin parcels jam sorters.
    max_girth_mm: int
    insurance_rate_permille: int
    insurance_min_fen: int
    insurance_cap_fen: int
    cod_rate_permille: int
    cod_min_fen: int
    remote_area_fen: int
    bulky_fen: int
    bulky_side_mm: int
    bulky_volumetric_g: int
    fragile_fen: int

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.type == "str":
                if not isinstance(value, str) or not value:
                    raise ValueError(f"tariff field {f.name} must be a non-empty string")
            elif not _is_int(value) or value < 0:
                raise ValueError(f"tariff field {f.name} must be a non-negative integer, got {value!r}")
        for name in ("first_weight_g", "step_g", "volumetric_divisor_cm3_per_kg"):
            if getattr(self, name) == 0:
                raise ValueError(f"tariff field {name} must be positive")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.origin, self.destination_region, self.service_level)


class TariffBook:
    """The day's tariffs keyed by (origin station, destination region, service level)."""

    def __init__(self, tariffs: list[Tariff], version: str = "") -> None:
        self.version = version
        self._by_key: dict[tuple[str, str, str], Tariff] = {}
        for tariff in tariffs:
            if tariff.key in self._by_key:
                raise ValueError(f"duplicate tariff for {tariff.key}")
            self._by_key[tariff.key] = tariff

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TariffBook:
        """Build from the decoded JSON the handheld receives: ``{"version": ..., "tariffs": [{...}]}``."""
        names = {f.name for f in fields(Tariff)}
        tariffs = []
        for row in data["tariffs"]:
            unknown = set(row) - names
            missing = names - set(row)
            if unknown or missing:
                raise ValueError(f"tariff row: unknown fields {sorted(unknown)}, missing {sorted(missing)}")
            tariffs.append(Tariff(**row))
        return cls(tariffs, version=str(data.get("version", "")))

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "tariffs": [asdict(t) for t in self._by_key.values()]}

    @property
    def service_levels(self) -> frozenset[str]:
        return frozenset(key[2] for key in self._by_key)

    def get(self, origin: str, destination_region: str, service_level: str) -> Tariff | None:
        return self._by_key.get((origin, destination_region, service_level))


@dataclass(frozen=True)
class QuoteRequest:
    origin: str
    destination_region: str
    service_level: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    declared_value_fen: int = 0
    cod_amount_fen: int = 0
    fragile: bool = False
    remote_area: bool = False


@dataclass(frozen=True)
class QuoteLine:
    code: str
    label: str
    amount_fen: int


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    total_fen: int
    actual_weight_g: int
    volumetric_weight_g: int
    chargeable_weight_g: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"lines": [asdict(line) for line in self.lines]}


def _is_int(value: object) -> bool:
    # bool is an int subclass; True grams is a bug upstream, not one gram.
    return isinstance(value, int) and not isinstance(value, bool)


def volumetric_weight_g(length_mm: int, width_mm: int, height_mm: int, divisor_cm3_per_kg: int) -> int:
    """mm³ / 1000 = cm³; cm³ / divisor = kg; kg * 1000 = g. The two 1000s cancel; round up to a gram."""
    return _ceil_div(length_mm * width_mm * height_mm, divisor_cm3_per_kg)


def chargeable_weight_g(tariff: Tariff, weight_g: int) -> int:
    """Anything up to the first weight pays the first weight; above it, every started step counts."""
    if weight_g <= tariff.first_weight_g:
        return tariff.first_weight_g
    steps = _ceil_div(weight_g - tariff.first_weight_g, tariff.step_g)
    return tariff.first_weight_g + steps * tariff.step_g


def _freight_fen(tariff: Tariff, chargeable_g: int) -> int:
    steps = (chargeable_g - tariff.first_weight_g) // tariff.step_g
    return tariff.first_price_fen + steps * tariff.step_price_fen


def _rate_fee(amount_fen: int, rate_permille: int, min_fen: int) -> int:
    return max(min_fen, _ceil_div(amount_fen * rate_permille, 1000))


def _validate_types(req: QuoteRequest) -> None:
    for name in ("origin", "destination_region", "service_level"):
        if not isinstance(getattr(req, name), str):
            raise QuoteError("invalid_input", f"{name} must be a string")
    for name in ("weight_g", "length_mm", "width_mm", "height_mm", "declared_value_fen", "cod_amount_fen"):
        if not _is_int(getattr(req, name)):
            raise QuoteError("invalid_input", f"{name} must be an integer")
    for name in ("fragile", "remote_area"):
        if not isinstance(getattr(req, name), bool):
            raise QuoteError("invalid_input", f"{name} must be true or false")


def _find_tariff(book: TariffBook, req: QuoteRequest) -> Tariff:
    if req.service_level not in book.service_levels:
        raise QuoteError("unknown_service_level", f"unknown service level {req.service_level!r}")
    if not req.destination_region:
        raise QuoteError("no_tariff_for_destination", "destination region is missing")
    tariff = book.get(req.origin, req.destination_region, req.service_level)
    if tariff is None:
        raise QuoteError(
            "no_tariff_for_destination",
            f"no {req.service_level} tariff from {req.origin!r} to {req.destination_region!r}",
        )
    return tariff


def _validate_parcel(tariff: Tariff, req: QuoteRequest) -> None:
    if req.weight_g <= 0:
        raise QuoteError("weight_not_positive", "weight must be more than 0 g")
    sides = sorted((req.length_mm, req.width_mm, req.height_mm), reverse=True)
    if sides[-1] <= 0 or sides[0] > tariff.max_side_mm:
        raise QuoteError("dimension_out_of_range", f"each side must be 1..{tariff.max_side_mm} mm")
    girth = sides[0] + 2 * (sides[1] + sides[2])
    if girth > tariff.max_girth_mm:
        raise QuoteError("dimension_out_of_range", f"girth {girth} mm is over {tariff.max_girth_mm} mm")
    # The limit is on the scale weight: a light bulky box is limited by its sides, not by this.
    if req.weight_g > tariff.max_weight_g:
        raise QuoteError("weight_over_limit", f"weight is over {tariff.max_weight_g} g")
    if req.declared_value_fen < 0 or req.cod_amount_fen < 0:
        raise QuoteError("amount_negative", "declared value and COD amount cannot be negative")
    if req.declared_value_fen > tariff.insurance_cap_fen:
        raise QuoteError("declared_value_over_cap", f"declared value is over {tariff.insurance_cap_fen} fen")


def quote(book: TariffBook, req: QuoteRequest) -> Quote:
    """Price a parcel, or raise QuoteError; a bad request never gets a price."""
    _validate_types(req)
    tariff = _find_tariff(book, req)
    _validate_parcel(tariff, req)

    volumetric = volumetric_weight_g(
        req.length_mm, req.width_mm, req.height_mm, tariff.volumetric_divisor_cm3_per_kg
    )
    chargeable = chargeable_weight_g(tariff, max(req.weight_g, volumetric))
    lines = [QuoteLine("freight", "Freight", _freight_fen(tariff, chargeable))]
    if req.declared_value_fen > 0:
        fee = _rate_fee(req.declared_value_fen, tariff.insurance_rate_permille, tariff.insurance_min_fen)
        lines.append(QuoteLine("insurance", "Insurance", fee))
    if req.cod_amount_fen > 0:
        fee = _rate_fee(req.cod_amount_fen, tariff.cod_rate_permille, tariff.cod_min_fen)
        lines.append(QuoteLine("cod_fee", "Cash on delivery fee", fee))
    if req.remote_area:
        lines.append(QuoteLine("remote_area", "Remote area surcharge", tariff.remote_area_fen))
    longest = max(req.length_mm, req.width_mm, req.height_mm)
    if longest > tariff.bulky_side_mm or volumetric > tariff.bulky_volumetric_g:
        lines.append(QuoteLine("bulky", "Bulky parcel surcharge", tariff.bulky_fen))
    if req.fragile:
        lines.append(QuoteLine("fragile", "Fragile handling", tariff.fragile_fen))
    # A tariff may set a surcharge to 0 to waive it; a 0 line would only clutter the receipt.
    kept = tuple(line for line in lines if line.amount_fen > 0 or line.code == "freight")
    return Quote(
        lines=kept,
        total_fen=sum(line.amount_fen for line in kept),
        actual_weight_g=req.weight_g,
        volumetric_weight_g=volumetric,
        chargeable_weight_g=chargeable,
    )
