"""Fixed-window request counters for the customer's page, per link and per client address.

Counted in Django's cache: with the default local-memory cache each process counts alone, so a
deployment with several web processes should configure a shared cache (Redis).
"""

from __future__ import annotations

import time

from backend.common.counters import cache_count

PER_LINK = (30, 600)  # requests, seconds
PER_IP = (120, 600)


def allow(scope: str, key: str, limit: int, window_s: int, now: float | None = None) -> bool:
    """Count one request; False once ``limit`` requests were made in the current window."""
    bucket = int((now if now is not None else time.time()) // window_s)
    return cache_count(f"negotiation-rl:{scope}:{key}:{bucket}", window_s) <= limit
