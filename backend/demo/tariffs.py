"""A default tariff book for the demo station, so the handheld and POST /api/v1/quotes price out of the box.

``seed_demo`` calls ``ensure_demo_tariff_book(station)``; it publishes version 1 only when the
station has no book yet, so running the seed again changes nothing.
"""

from __future__ import annotations

from typing import Any

from backend.couriers.models import Station
from backend.pickup.models import TariffBookVersion
from backend.pickup.services import tariff_book_publish
from backend.shipments.context import Ctx

# The demo's destination regions (backend/demo/data.py DESTINATIONS) with their distance zone.
REGION_ZONES = {"浙江": 0, "上海": 1, "江苏": 1, "北京": 2, "广东": 2, "四川": 3}

_STANDARD = {
    "first_weight_g": 1000,
    "step_g": 1000,
    "volumetric_divisor_cm3_per_kg": 8000,
    "max_weight_g": 50000,
    "max_side_mm": 1500,
    "max_girth_mm": 3300,
    "insurance_rate_permille": 5,
    "insurance_min_fen": 100,
    "insurance_cap_fen": 2_000_000,
    "cod_rate_permille": 10,
    "cod_min_fen": 200,
    "remote_area_fen": 500,
    "bulky_fen": 1500,
    "bulky_side_mm": 1000,
    "bulky_volumetric_g": 30000,
    "fragile_fen": 300,
}
_EXPRESS = _STANDARD | {
    "step_g": 500,
    "volumetric_divisor_cm3_per_kg": 6000,
    "max_weight_g": 30000,
    "max_side_mm": 1200,
    "max_girth_mm": 2500,
    "insurance_cap_fen": 1_000_000,
    "cod_rate_permille": 15,
    "cod_min_fen": 300,
    "remote_area_fen": 800,
    "bulky_fen": 2000,
    "bulky_volumetric_g": 25000,
    "fragile_fen": 500,
}


def demo_tariff_book(origin: str) -> dict[str, Any]:
    tariffs = []
    for region, zone in REGION_ZONES.items():
        tariffs.append(
            _STANDARD
            | {
                "origin": origin,
                "destination_region": region,
                "service_level": "standard",
                "first_price_fen": 800 + 200 * zone,
                "step_price_fen": 200 + 100 * zone,
            }
        )
        tariffs.append(
            _EXPRESS
            | {
                "origin": origin,
                "destination_region": region,
                "service_level": "express",
                "first_price_fen": 1200 + 300 * zone,
                "step_price_fen": 300 + 100 * zone,
            }
        )
    return {"version": "demo", "tariffs": tariffs}


def ensure_demo_tariff_book(station: Station) -> TariffBookVersion:
    existing = TariffBookVersion.objects.filter(origin=station.code).order_by("-version").first()
    if existing is not None:
        return existing
    return tariff_book_publish(
        ctx=Ctx.system(), origin=station.code, book_json=demo_tariff_book(station.code)
    )
