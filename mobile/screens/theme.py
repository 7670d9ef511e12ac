"""Colours: near-black on near-white, status colours dark enough for white text in sunlight."""

from __future__ import annotations

THEME = {
    "bg": (0.97, 0.97, 0.95, 1),
    "ink": (0.05, 0.05, 0.05, 1),
    "primary": (0.0, 0.27, 0.6, 1),
    "todo": (0.0, 0.27, 0.6, 1),
    "active": (0.6, 0.3, 0.0, 1),
    "done": (0.0, 0.42, 0.15, 1),
    "failed": (0.7, 0.05, 0.05, 1),
    "late": (0.5, 0.0, 0.45, 1),
    "muted": (0.35, 0.35, 0.35, 1),
    "ok": (0.0, 0.42, 0.15, 1),
    "error": (0.7, 0.05, 0.05, 1),
    "warning": (0.65, 0.35, 0.0, 1),
    "info": (0.0, 0.27, 0.6, 1),
    "idle": (0.85, 0.85, 0.82, 1),
}


def colour(name: str) -> tuple[float, float, float, float]:
    return THEME.get(name, THEME["ink"])
