"""Tomorrow's nowcast: the parcels already inbound (manifested upstream, not yet at the station)
adjust the model's figure for the next day. Pure.

``share`` is the part of a day's volume that was already known on the eve, measured over the
station's recent days. Tomorrow is then what is known plus the model's figure for the part not
yet known: ``inbound + (1 − share) × model``. With everything known in advance (share 1) that is
the inbound count itself; with nothing known (share 0) it is the model. It is never below what
is already inbound.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

MIN_DAYS = 7  # days with volume needed before the share is trusted
SHARE_DAYS = 28  # the share is measured over this many days before the forecast


def inbound_share(known: Sequence[int], actual: Sequence[int]) -> float | None:
    """The median part of each day's volume known on its eve (None: too few days to tell)."""
    shares = [min(1.0, k / a) for k, a in zip(known, actual, strict=True) if a > 0]
    if len(shares) < MIN_DAYS:
        return None
    return float(median(shares))


def with_inbound(model: float, inbound: int, share: float | None) -> float:
    """The figure for tomorrow, given the model's and what is inbound now."""
    if share is None:
        return max(model, float(inbound))
    return max(float(inbound), inbound + (1.0 - share) * model)
