"""Plain data the planners read and return. Times are integer seconds from plan start.

Units: weights in grams, volumes in cm³, distances in metres (or scaled instance units for
benchmarks — whatever the :class:`~.matrix.MatrixProvider` returns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .matrix import Point

StopKind = Literal["pickup", "delivery"]

# A day and a bit: the default "no window" for a stop.
OPEN_END = 48 * 3600


@dataclass(frozen=True)
class Stop:
    """One visit. A delivery's parcel is loaded at the station; a pickup's parcel rides back to it."""

    id: str
    kind: StopKind
    x: float
    y: float
    tw_start: int = 0
    tw_end: int = OPEN_END
    service_s: int = 0
    weight_g: int = 0
    volume_cm3: int = 0
    done: bool = False

    @property
    def point(self) -> Point:
        return Point(self.x, self.y)

    @property
    def delivery(self) -> tuple[int, int]:
        return (self.weight_g, self.volume_cm3) if self.kind == "delivery" else (0, 0)

    @property
    def pickup(self) -> tuple[int, int]:
        return (self.weight_g, self.volume_cm3) if self.kind == "pickup" else (0, 0)


@dataclass(frozen=True)
class Vehicle:
    """A courier's vehicle for the day (a courier route).

    ``depot`` is the station it starts from and returns to. For live re-planning ``position`` and
    ``position_time`` say where the courier is now; ``done_stop_ids`` were already visited (they stay
    fixed) and ``sequence`` is the currently planned order of the remaining stops.
    """

    id: str
    capacity_weight_g: int
    capacity_volume_cm3: int
    shift_start: int
    shift_end: int
    depot: Point
    profile: str = "van"
    position: Point | None = None
    position_time: int | None = None
    done_stop_ids: tuple[str, ...] = ()
    sequence: tuple[str, ...] = ()

    @property
    def capacity(self) -> tuple[int, int]:
        return (self.capacity_weight_g, self.capacity_volume_cm3)

    @property
    def start_point(self) -> Point:
        return self.position if self.position is not None else self.depot

    @property
    def start_time(self) -> int:
        return self.position_time if self.position_time is not None else self.shift_start

    @property
    def is_live(self) -> bool:
        return self.position is not None


@dataclass(frozen=True)
class PlanRequest:
    """What to plan. Stops with ``done=True`` are history and are never planned again.

    Cost is ``distance_cost * distance + duration_cost * duration`` summed over routes. With
    ``allow_unassigned`` every stop carries a prize far above any detour, so the solver leaves a
    stop out only when no vehicle can serve it within windows, capacity and shifts.
    """

    stops: tuple[Stop, ...]
    vehicles: tuple[Vehicle, ...]
    distance_cost: int = 1
    duration_cost: int = 0
    allow_unassigned: bool = True


@dataclass(frozen=True)
class Visit:
    stop_id: str
    arrival: int  # ETA shown to the customer
    start: int  # service start: later than arrival when the courier waits for the window
    departure: int


@dataclass(frozen=True)
class RoutePlan:
    vehicle_id: str
    visits: tuple[Visit, ...]
    start_time: int
    end_time: int
    distance: int
    duration: int

    @property
    def stop_ids(self) -> list[str]:
        return [v.stop_id for v in self.visits]


@dataclass(frozen=True)
class Plan:
    routes: tuple[RoutePlan, ...]
    unassigned: tuple[str, ...]
    cost: int
    feasible: bool = True

    def route(self, vehicle_id: str) -> RoutePlan:
        return next(r for r in self.routes if r.vehicle_id == vehicle_id)
