"""The shape of a synthetic station day, shared by the dispatch benches (bench/dispatch.py,
bench/station_days.py): what each stop is and the fleet. Only where the stops lie differs.

60 % deliveries, 20 % narrow (1 h) windows, parcels of 0.2–5 kg; a fleet of vans with every third
courier on an e-tricycle. The draws keep their order, so a seed gives the same day as before.
"""

from __future__ import annotations

import random

from backend.dispatch.planning.matrix import Point
from backend.dispatch.planning.model import Stop, StopKind, Vehicle

SHIFT_END = 10 * 3600  # 08:00–18:00, in seconds from the shift's start


def kind_and_window(rng: random.Random) -> tuple[StopKind, int, int]:
    """(kind, window start, window end) of one stop."""
    kind: StopKind = "delivery" if rng.random() < 0.6 else "pickup"
    narrow = rng.random() < 0.2
    start = rng.randrange(0, SHIFT_END - 3600, 900) if narrow else 0
    return kind, start, start + 3600 if narrow else SHIFT_END


def day_stop(rng: random.Random, i: int, kind: StopKind, window: tuple[int, int], x: float, y: float) -> Stop:
    return Stop(
        id=f"s{i}",
        kind=kind,
        x=x,
        y=y,
        tw_start=window[0],
        tw_end=window[1],
        service_s=120 if kind == "delivery" else 180,
        weight_g=rng.randint(200, 5000),
        volume_cm3=rng.randint(1000, 20000),
    )


def fleet(couriers: int, depot: Point) -> tuple[Vehicle, ...]:
    return tuple(
        Vehicle(
            id=f"c{k}",
            capacity_weight_g=250_000 if k % 3 == 2 else 400_000,
            capacity_volume_cm3=1_500_000 if k % 3 == 2 else 3_000_000,
            shift_start=0,
            shift_end=SHIFT_END,
            depot=depot,
            profile="e-tricycle" if k % 3 == 2 else "van",
        )
        for k in range(couriers)
    )
