"""The generated history of bench/forecast.py: two years of daily pickups and deliveries of three
stations, with what was already inbound on each day's eve. Deterministic for a seed.

Each station's volume is a product of factors, drawn from how express volume behaves, not from the
model's own columns (the bands the model fits are not the shapes generated here):

- a base level with growth, and a **trend break** (A: none; B: a large merchant leaves, −22 % from
  2025-06-30 and slower growth after; C: a new merchant, +28 % from 2025-10-13, shortly before the
  held-back weeks);
- a **weekly** shape of its own (a business district is quiet on Sunday, a residential one less so);
- a **yearly** cycle (a summer dip, an autumn rise towards the shopping season);
- statutory **holidays** (days off at 45 % for deliveries, 30 % for pickups; make-up working
  Saturdays a little under a weekday) and the backlog of the first working days after a break;
- the **Spring Festival** season as a smooth curve around Lunar New Year (pre-holiday rush, then
  most couriers home for a fortnight);
- **11.11** and **6.18**: deliveries swell over the following week (peak two or three days after),
  pickups on the day and the next;
- noise: a persistent day-to-day drift (AR(1) on the log, φ = 0.8) and independent day noise (7 %).

Inbound on the eve: each parcel of the day was already manifested upstream with a probability that
itself wanders from day to day (deliveries around 72 %, pickups around 55 % booked the day before).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from backend.forecast.holidays import LUNAR_NEW_YEAR, day_off

FIRST_DAY = date(2024, 1, 1)
LAST_DAY = date(2025, 12, 28)


@dataclass(frozen=True)
class StationSpec:
    code: str
    base: float  # deliveries a day at the start
    pickup_ratio: float
    weekly: tuple[float, ...]  # Monday … Sunday
    growth: float  # per year, before the break
    break_day: date | None
    break_step: float
    growth_after: float


STATIONS = (
    StationSpec("A", 900, 0.35, (1.12, 1.08, 1.04, 1.02, 1.0, 0.86, 0.78), 0.12, None, 1.0, 0.12),
    StationSpec(
        "B", 2600, 0.45, (1.2, 1.12, 1.05, 1.02, 1.0, 0.7, 0.55), 0.18, date(2025, 6, 30), 0.78, 0.05
    ),
    StationSpec(
        "C", 5200, 0.25, (1.05, 1.04, 1.02, 1.0, 1.03, 0.95, 0.9), 0.08, date(2025, 10, 13), 1.28, 0.15
    ),
)


@dataclass(frozen=True)
class History:
    code: str
    last_day: date
    deliveries: list[int]
    pickups: list[int]
    deliveries_inbound: list[int]  # of each day's deliveries, already manifested on its eve
    pickups_inbound: list[int]


def days() -> list[date]:
    return [FIRST_DAY + timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1)]


def _spring(day: date, pickups: bool) -> float:
    ny = min((ny for ny in LUNAR_NEW_YEAR.values()), key=lambda a: abs((day - a).days))
    d = (day - ny).days
    rush = 0.18 * math.exp(-(((d + 16) / 5.0) ** 2)) * (1.6 if pickups else 1.0)
    away = 0.72 * math.exp(-(((d - 4) / 7.0) ** 2))
    return (1 + rush) * (1 - away)


def _festival(day: date, month: int, dom: int, size: float, pickups: bool) -> float:
    d = (day - date(day.year, month, dom)).days
    if pickups:
        return 1 + 0.8 * size * math.exp(-(((d - 0.5) / 1.3) ** 2))
    return 1 + size * math.exp(-(((d - 2.5) / 2.4) ** 2)) + 0.15 * size * math.exp(-(((d + 5) / 4) ** 2))


def _holiday(day: date, pickups: bool) -> float:
    off, makeup = day_off(day)
    if off:
        return 0.3 if pickups else 0.45
    if makeup:
        return 0.92
    factor = 1.0
    prev = [day - timedelta(days=k) for k in (1, 2, 3)]
    if all(day_off(p)[0] or p.weekday() >= 5 for p in prev) and any(day_off(p)[0] for p in prev):
        factor = 1.3  # the first working day after a long break: the backlog
    return factor


def _yearly(day: date) -> float:
    angle = 2 * math.pi * (day.timetuple().tm_yday - 1) / 365.25
    return 1 + 0.06 * math.cos(angle - 5.6) - 0.05 * math.exp(-(((day.month - 7.5) / 1.0) ** 2))


def _level(spec: StationSpec, day: date) -> float:
    years = (day - FIRST_DAY).days / 365.25
    if spec.break_day is None or day < spec.break_day:
        return spec.base * (1 + spec.growth) ** years
    at_break = (spec.break_day - FIRST_DAY).days / 365.25
    after = years - at_break
    return spec.base * (1 + spec.growth) ** at_break * spec.break_step * (1 + spec.growth_after) ** after


def generate(spec: StationSpec, seed: int) -> History:
    rng = random.Random(f"{seed}-{spec.code}")
    drift = 0.0
    out: dict[str, list[int]] = {"d": [], "p": [], "di": [], "pi": []}
    share = {"d": 0.72, "p": 0.55}
    for day in days():
        drift = 0.8 * drift + rng.gauss(0, 0.025)
        common = _level(spec, day) * spec.weekly[day.weekday()] * _yearly(day) * math.exp(drift)
        for key, pickups in (("d", False), ("p", True)):
            mean = common * (spec.pickup_ratio if pickups else 1.0)
            mean *= _holiday(day, pickups) * _spring(day, pickups)
            mean *= _festival(day, 11, 11, 1.3, pickups) * _festival(day, 6, 18, 0.45, pickups)
            count = max(0, round(mean * math.exp(rng.gauss(0, 0.07))))
            known_share = min(0.98, max(0.05, rng.gauss(share[key], 0.05)))
            known = (
                sum(1 for _ in range(count) if rng.random() < known_share)
                if count < 400
                else round(
                    count * known_share + rng.gauss(0, math.sqrt(count * known_share * (1 - known_share)))
                )
            )
            out[key].append(count)
            out[key + "i"].append(max(0, min(count, known)))
    return History(spec.code, LAST_DAY, out["d"], out["p"], out["di"], out["pi"])


def world(seed: int = 18) -> list[History]:
    return [generate(spec, seed) for spec in STATIONS]
