"""Counters in Django's cache (Redis under the production profile, so shared by every process)."""

from __future__ import annotations

from django.core.cache import cache


def cache_count(key: str, timeout_s: int) -> int:
    """Add one to the counter ``key``, created at 1 to expire after ``timeout_s``; the new count."""
    if cache.add(key, 1, timeout=timeout_s):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout_s)
        return 1
