"""Couriers needed for a day, from the forecast stops and the couriers' measured pace. Pure.

A courier's pace is stops per hour of their own history: stops (a delivery or a failed delivery,
a pickup or a failed pickup) over the hours between their first and last stop of each day worked
(at least one hour a day). The station's pace is the median of its couriers' (one fast courier
does not make the others fast); a day needs ``ceil(stops / (pace × shift hours))`` couriers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import median

DEFAULT_STOPS_PER_HOUR = 10.0  # a station with no courier history yet
MIN_STOPS = 20  # a courier with fewer stops in the window is not measured


@dataclass(frozen=True)
class Pace:
    courier_id: int
    stops: int
    hours: float

    @property
    def stops_per_hour(self) -> float:
        return self.stops / self.hours if self.hours > 0 else 0.0


def courier_pace(courier_id: int, stops_by_day: Sequence[Sequence[datetime]]) -> Pace:
    """A courier's pace from the times of their stops, one list per day worked."""
    stops = 0
    hours = 0.0
    for times in stops_by_day:
        if not times:
            continue
        stops += len(times)
        span = (max(times) - min(times)).total_seconds() / 3600
        hours += max(1.0, span)
    return Pace(courier_id=courier_id, stops=stops, hours=hours)


def station_pace(paces: Sequence[Pace]) -> tuple[float, bool]:
    """(stops per hour, measured): the median of the measured couriers, else the default."""
    rates = [p.stops_per_hour for p in paces if p.stops >= MIN_STOPS and p.hours > 0]
    if not rates:
        return DEFAULT_STOPS_PER_HOUR, False
    return float(median(rates)), True


def couriers_needed(stops: float, stops_per_hour: float, shift_hours: float) -> int:
    """Couriers for ``stops`` in a day of ``shift_hours`` at ``stops_per_hour`` each."""
    if stops <= 0:
        return 0
    per_courier = stops_per_hour * shift_hours
    if per_courier <= 0:
        raise ValueError("a courier's day must hold at least one stop")
    # A hair of tolerance: 160 stops at 20/h × 8 h is one courier's day, not two.
    return math.ceil(stops / per_courier - 1e-9)
