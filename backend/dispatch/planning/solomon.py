"""Solomon VRPTW instances (text format) as planning requests, and the DIMACS cost convention.

The benchmark must exercise the project's own path, so instances become a :class:`PlanRequest`
that :func:`.solver.solve` plans with a :class:`.matrix.EuclideanMatrix`. Distances, time windows
and service times are scaled by 10 and truncated (DIMACS), which is how the best-known values
in the ``.sol`` files were computed; a "delivery" stop's weight is the Solomon demand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .matrix import EuclideanMatrix, Point
from .model import PlanRequest, Stop, Vehicle

SCALE = 10
# Solomon has no volume: give every vehicle room for anything so the second dimension never binds.
NO_VOLUME_LIMIT = 1 << 30


@dataclass(frozen=True)
class SolomonInstance:
    name: str
    depot: Point
    request: PlanRequest

    @property
    def matrix(self) -> EuclideanMatrix:
        return EuclideanMatrix(scale=SCALE)

    def point(self, stop_id: str) -> Point:
        return next(s.point for s in self.request.stops if s.id == stop_id)


def read_solomon(path: str | Path) -> SolomonInstance:
    lines = [ln.split() for ln in Path(path).read_text().splitlines()]
    name = lines[0][0]
    numbers = [row for row in lines if row and all(re.fullmatch(r"-?\d+(\.\d+)?", t) for t in row)]
    n_vehicles, capacity = (int(t) for t in numbers[0])
    rows = [[float(t) for t in row] for row in numbers[1:]]
    depot_row, customers = rows[0], rows[1:]
    depot = Point(depot_row[1], depot_row[2])
    stops = tuple(
        Stop(
            id=str(int(r[0])),
            kind="delivery",
            x=r[1],
            y=r[2],
            weight_g=int(r[3]),
            tw_start=int(r[4]) * SCALE,
            tw_end=int(r[5]) * SCALE,
            service_s=int(r[6]) * SCALE,
        )
        for r in customers
    )
    vehicles = tuple(
        Vehicle(
            id=f"v{k + 1}",
            capacity_weight_g=capacity,
            capacity_volume_cm3=NO_VOLUME_LIMIT,
            shift_start=int(depot_row[4]) * SCALE,
            shift_end=int(depot_row[5]) * SCALE,
            depot=depot,
            profile="planar",
        )
        for k in range(n_vehicles)
    )
    request = PlanRequest(stops=stops, vehicles=vehicles, allow_unassigned=False)
    return SolomonInstance(name=name, depot=depot, request=request)


def read_solution(path: str | Path) -> tuple[list[list[str]], float]:
    """Routes (customer ids) and the stated cost of a CVRPLIB ``.sol`` file."""
    routes: list[list[str]] = []
    cost = math.nan
    for line in Path(path).read_text().splitlines():
        if line.startswith("Route"):
            routes.append(line.split(":", 1)[1].split())
        elif line.startswith("Cost"):
            cost = float(line.split()[1])
    return routes, cost


def dimacs_cost(instance: SolomonInstance, routes: Sequence[Sequence[str]]) -> float:
    """Total distance in instance units, each edge truncated to one decimal (depot at both ends)."""
    tenths = 0
    for route in routes:
        path = [instance.depot, *(instance.point(s) for s in route), instance.depot]
        for a, b in zip(path, path[1:], strict=False):
            tenths += int(SCALE * math.hypot(a.x - b.x, a.y - b.y))
    return tenths / SCALE


def instance_names(directory: str | Path) -> list[Path]:
    """Instance files in a benchmark directory: every ``NAME.txt`` that has a ``NAME.sol``."""
    return sorted(p for p in Path(directory).glob("*.txt") if p.with_suffix(".sol").exists())


def read_vrplib(path: str | Path) -> SolomonInstance:
    """A VRPTW instance in VRPLIB format (``NAME.vrp``: Solomon and Gehring–Homberger as PyVRP ships
    them), as the same request :func:`read_solomon` builds; customer ``i`` (node ``i``) is stop ``"i"``."""
    import vrplib  # type: ignore[import-untyped]  # only the benchmarks read VRPLIB files (pinned, untyped)

    d = vrplib.read_instance(str(path))
    coords, tw, demand = d["node_coord"], d["time_window"], d["demand"]
    service = d["service_time"]

    def service_of(i: int) -> int:  # one SERVICE_TIME for all, or a SERVICE_TIME_SECTION
        return int(service[i]) if hasattr(service, "__len__") else int(service)

    depot = Point(float(coords[0][0]), float(coords[0][1]))
    stops = tuple(
        Stop(
            id=str(i),
            kind="delivery",
            x=float(coords[i][0]),
            y=float(coords[i][1]),
            weight_g=int(demand[i]),
            tw_start=int(tw[i][0]) * SCALE,
            tw_end=int(tw[i][1]) * SCALE,
            service_s=service_of(i) * SCALE,
        )
        for i in range(1, len(coords))
    )
    vehicles = tuple(
        Vehicle(
            id=f"v{k + 1}",
            capacity_weight_g=int(d["capacity"]),
            capacity_volume_cm3=NO_VOLUME_LIMIT,
            shift_start=int(tw[0][0]) * SCALE,
            shift_end=int(tw[0][1]) * SCALE,
            depot=depot,
            profile="planar",
        )
        for k in range(int(d["vehicles"]))
    )
    request = PlanRequest(stops=stops, vehicles=vehicles, allow_unassigned=False)
    return SolomonInstance(name=str(d["name"]), depot=depot, request=request)
