"""Distance/duration matrices behind one small interface.

Every planner in this package asks a :class:`MatrixProvider` for integer matrices (metres and
seconds, or scaled instance units for benchmarks), never computes travel itself. That keeps the
road model swappable:

* :class:`HaversineMatrix` — great-circle distance times a detour factor, per-profile speed. No
  network, good enough for a dense city district and for tests.
* :class:`EuclideanMatrix` — planar instances (Solomon) with the DIMACS rounding convention.
* A road-network provider (not shipped) would implement the same two methods by calling an OSRM
  ``/table/v1/{profile}/{coords}?sources=..&destinations=..&annotations=distance,duration`` or a
  Valhalla ``/sources_to_targets`` request (costing ``auto`` for vans, ``bicycle`` for
  e-tricycles), converting the float answers with ``np.rint(...).astype(np.int64)`` and replacing
  ``null`` (unroutable) cells by a large finite value. Such a service should be called from a
  Celery task with a timeout and its answer cached per (point set, profile); the planners only
  see the numbers, so no code here changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

IntMatrix = NDArray[np.int64]

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Point:
    """A location. For geographic providers ``x`` is longitude and ``y`` latitude (degrees)."""

    x: float
    y: float


class MatrixProvider(Protocol):
    def table(
        self, sources: Sequence[Point], destinations: Sequence[Point], vehicle_profile: str
    ) -> tuple[IntMatrix, IntMatrix]:
        """Return (distance, duration) of shape (len(sources), len(destinations))."""
        ...

    def matrix(self, points: Sequence[Point], vehicle_profile: str) -> tuple[IntMatrix, IntMatrix]:
        """Return the square (distance, duration) matrices between ``points``."""
        ...


class PointArray(tuple[Point, ...]):
    """A tuple of points that also holds their coordinates as an (n, 2) array, made once: a
    route's nodes are handed to the providers again and again (its insertion state, every new
    job's distances to it), and turning thousands of points into an array each time was a large
    part of an auto-assignment."""

    xy: NDArray[np.float64]

    def __new__(cls, points: Sequence[Point], xy: NDArray[np.float64] | None = None) -> PointArray:
        made = super().__new__(cls, points)
        made.xy = _coords(points) if xy is None else xy
        return made

    @classmethod
    def joined(cls, parts: Sequence[PointArray]) -> PointArray:
        """The parts one after the other (their arrays stacked, not rebuilt)."""
        return cls(tuple(chain.from_iterable(parts)), np.concatenate([part.xy for part in parts]))


def _coords(points: Sequence[Point]) -> NDArray[np.float64]:
    if isinstance(points, PointArray):
        return points.xy
    return np.array([(p.x, p.y) for p in points], dtype=np.float64).reshape(-1, 2)


@dataclass(frozen=True)
class HaversineMatrix:
    """Great-circle distance × ``detour`` (streets are not straight), duration from a speed per profile.

    1.3 is the usual circuity factor for dense European street grids; the speeds are door-to-door
    averages for urban couriers (traffic lights, parking), not top speeds.
    """

    detour: float = 1.3
    speeds_kmh: dict[str, float] = field(default_factory=lambda: {"e-tricycle": 15.0, "van": 25.0})

    def table(
        self, sources: Sequence[Point], destinations: Sequence[Point], vehicle_profile: str
    ) -> tuple[IntMatrix, IntMatrix]:
        src = np.radians(_coords(sources))
        dst = np.radians(_coords(destinations))
        return self._between(src[:, 0:1], src[:, 1:2], dst[None, :, 0], dst[None, :, 1], vehicle_profile)

    def matrix(self, points: Sequence[Point], vehicle_profile: str) -> tuple[IntMatrix, IntMatrix]:
        return self.table(points, points, vehicle_profile)

    def legs(self, points: Sequence[Point], vehicle_profile: str) -> tuple[IntMatrix, IntMatrix]:
        """``matrix(points)[i, i + 1]`` for each i, without the other n² − n cells (the same
        formula on the same values, element by element)."""
        rad = np.radians(_coords(points))
        return self._between(rad[:-1, 0], rad[:-1, 1], rad[1:, 0], rad[1:, 1], vehicle_profile)

    def _between(
        self,
        lon1: NDArray[np.float64],
        lat1: NDArray[np.float64],
        lon2: NDArray[np.float64],
        lat2: NDArray[np.float64],
        vehicle_profile: str,
    ) -> tuple[IntMatrix, IntMatrix]:
        a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
        metres = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))) * self.detour
        speed_ms = self.speeds_kmh[vehicle_profile] / 3.6
        dist = np.rint(metres).astype(np.int64)
        dur = np.rint(metres / speed_ms).astype(np.int64)
        return dist, dur


@dataclass(frozen=True)
class EuclideanMatrix:
    """Planar distances with the DIMACS convention: each edge truncated to one decimal.

    PyVRP needs integers, so values are ``int(10 * d)`` (instance units × 10); callers scale time
    windows and service times by the same ``scale``. Duration equals distance (Solomon: unit speed).
    """

    scale: int = 10

    def table(
        self, sources: Sequence[Point], destinations: Sequence[Point], vehicle_profile: str
    ) -> tuple[IntMatrix, IntMatrix]:
        src, dst = _coords(sources), _coords(destinations)
        return self._between(src[:, None, 0] - dst[None, :, 0], src[:, None, 1] - dst[None, :, 1])

    def matrix(self, points: Sequence[Point], vehicle_profile: str) -> tuple[IntMatrix, IntMatrix]:
        return self.table(points, points, vehicle_profile)

    def legs(self, points: Sequence[Point], vehicle_profile: str) -> tuple[IntMatrix, IntMatrix]:
        """``matrix(points)[i, i + 1]`` for each i (see ``HaversineMatrix.legs``)."""
        xy = _coords(points)
        return self._between(xy[:-1, 0] - xy[1:, 0], xy[:-1, 1] - xy[1:, 1])

    def _between(self, dx: NDArray[np.float64], dy: NDArray[np.float64]) -> tuple[IntMatrix, IntMatrix]:
        # floor, not round: that is what the published best-known values were computed with.
        dist = np.floor(np.hypot(dx, dy) * self.scale).astype(np.int64)
        return dist, dist.copy()


def leg_table(
    matrix: MatrixProvider, points: Sequence[Point], vehicle_profile: str
) -> tuple[IntMatrix, IntMatrix]:
    """Distance and duration of each leg of the path ``points`` (``n − 1`` of each): the provider's
    own ``legs`` when it has one (O(n)), else the diagonal above the square matrix's (O(n²))."""
    legs = getattr(matrix, "legs", None)
    if legs is not None:
        dist, dur = legs(points, vehicle_profile)
        return dist, dur
    dist, dur = matrix.matrix(points, vehicle_profile)
    idx = np.arange(len(points))
    return dist[idx[:-1], idx[1:]], dur[idx[:-1], idx[1:]]
