"""Where a redirected parcel should go, and whether that is still this station's to deliver.

*Located*: from the coordinates the customer gave (their phone's position), else from the
station's known addresses — the same address (spaces ignored) on an earlier shipment or job of the
station with coordinates. *Inside the station's area*: within ``PARCELRUN_STATION_AREA_RADIUS_M``
(15 km) of the station when located; when not located, when the address starts with one of the
address prefixes of the station's zones (how zones are drawn, see ``couriers.models.Zone``).
Anything else — farther, or unknown to us — is a transfer for a supervisor to decide.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import F, QuerySet, Value
from django.db.models.functions import Replace

from backend.couriers.models import Station, Zone
from backend.shipments.models import Job, Shipment

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class Place:
    address: str
    lat: float | None
    lng: float | None
    source: str  # "customer" (given coordinates), "known_address", "zone_prefix" or "" (not located)
    inside: bool
    distance_m: int | None  # from the station, when located


def radius_m() -> float:
    return float(getattr(settings, "PARCELRUN_STATION_AREA_RADIUS_M", 15_000))


def normalise(address: str) -> str:
    return re.sub(r"\s+", " ", address).strip()


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine): plenty for "within 15 km of the station"."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def _known(station_id: int, address: str) -> tuple[float, float] | None:
    """The coordinates the station already has for this address (newest first), spaces ignored."""
    compact = address.replace(" ", "")
    sources: tuple[tuple[QuerySet[Any], str, str, str], ...] = (
        (
            Shipment.objects.filter(station_id=station_id),
            "recipient_address",
            "recipient_lat",
            "recipient_lng",
        ),
        (Job.objects.filter(station_id=station_id), "address", "lat", "lng"),
    )
    for qs, field, lat, lng in sources:
        row = (
            qs.filter(**{f"{lat}__isnull": False, f"{lng}__isnull": False})
            .annotate(compact=Replace(F(field), Value(" "), Value("")))
            .filter(compact=compact)
            .order_by("-pk")
            .values_list(lat, lng)
            .first()
        )
        if row is not None:
            return float(row[0]), float(row[1])
    return None


def locate(station: Station, address: str, lat: float | None, lng: float | None) -> Place:
    """Locate ``address`` (cleaned already) for ``station`` and say whether it is inside its area."""
    address = normalise(address)
    source = "customer" if lat is not None and lng is not None else ""
    if not source and (known := _known(station.pk, address)) is not None:
        lat, lng = known
        source = "known_address"
    if lat is not None and lng is not None:
        far = distance_m(station.lat, station.lng, lat, lng)
        return Place(address, lat, lng, source, far <= radius_m(), round(far))
    prefixes = [
        p
        for row in Zone.objects.filter(station_id=station.pk).values_list("address_prefixes", flat=True)
        for p in row
    ]
    inside = any(isinstance(p, str) and p and address.startswith(p) for p in prefixes)
    return Place(address, None, None, "zone_prefix" if inside else "", inside, None)
