"""Coarsening a courier's position for customers: the next stop's customer sees roughly where the
courier is (a ~150 m grid cell), which is enough to judge "nearly here" and not enough to follow
the courier from door to door. Pure code."""

from __future__ import annotations

GRID_DEG = 0.0015  # ~167 m of latitude, ~145 m of longitude at 30° N
PRECISION_M = 150


def coarsen(lat: float, lng: float) -> tuple[float, float]:
    """Snap to the centre of the grid cell, so nearby fixes all map to one published point."""

    def snap(value: float) -> float:
        return round((value // GRID_DEG) * GRID_DEG + GRID_DEG / 2, 5)

    return snap(lat), snap(lng)
