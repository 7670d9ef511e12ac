"""Where the handheld is: a GPS fix, as the ops record it."""

from __future__ import annotations

from collections.abc import Callable

Fix = tuple[float, float, float | None]  # lat, lng, accuracy in metres
Locate = Callable[[], Fix | None]  # the GPS (or the desktop stand-in); None when there is no fix


def where(locate: Locate) -> dict[str, float] | None:
    """The ``where`` an op carries: lat/lng (and accuracy when known), or None without a fix."""
    fix = locate()
    if fix is None:
        return None
    place = {"lat": fix[0], "lng": fix[1]}
    if fix[2] is not None:
        place["accuracy_m"] = fix[2]
    return place
