"""Edge validation: tracking numbers, phones, weights, coordinates, time windows.

Each check raises ``DomainError`` with its own code so a client can tell what was wrong.
"""

from __future__ import annotations

from datetime import datetime

import phonenumbers

from backend.common.errors import DomainError
from parcelkit.rules.tracking import is_valid_tracking_no, normalise

MAX_PARCEL_WEIGHT_G = 1_000_000  # 1 t: anything above is a typo in grams vs kg, not a parcel.


def clean_tracking_no(raw: str) -> str:
    value = normalise(raw)
    if not is_valid_tracking_no(value):
        raise DomainError(
            "invalid_tracking_no",
            f"{raw!r} is not a Parcelrun tracking number (PR + 12 digits with a valid check digit)",
        )
    return value


def clean_phone(raw: str, region: str = "CN") -> str:
    """Return E.164 (``+8613812345678``)."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise DomainError("invalid_phone", f"{raw!r} is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise DomainError("invalid_phone", f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_weight_g(value: int, *, field: str = "weight_g") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError("invalid_weight", f"{field} must be an integer number of grams")
    if value <= 0:
        raise DomainError("invalid_weight", f"{field} must be more than 0 g", field=field)
    if value > MAX_PARCEL_WEIGHT_G:
        raise DomainError("invalid_weight", f"{field} {value} g is over {MAX_PARCEL_WEIGHT_G} g", field=field)
    return value


def clean_coordinates(lat: float, lng: float) -> tuple[float, float]:
    if not (-90.0 <= lat <= 90.0) or not (-180.0 <= lng <= 180.0):
        raise DomainError("invalid_coordinates", f"({lat}, {lng}) is not a point on Earth")
    return lat, lng


def clean_time_window(
    start: datetime | None, end: datetime | None
) -> tuple[datetime | None, datetime | None]:
    if (start is None) != (end is None):
        raise DomainError("invalid_time_window", "a time window needs both a start and an end")
    if start is not None and end is not None:
        if start.tzinfo is None or end.tzinfo is None:
            raise DomainError("invalid_time_window", "time window bounds need a time zone")
        if end <= start:
            raise DomainError("invalid_time_window", "the window must end after it starts")
        if (end - start).total_seconds() > 7 * 24 * 3600:
            raise DomainError("invalid_time_window", "a window may not be longer than 7 days")
    return start, end
