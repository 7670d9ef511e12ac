"""What every bench prints and how it summarises: one JSON object per line, nearest-rank percentiles."""

from __future__ import annotations

import json
import math
from urllib.parse import urlparse


def emit(**fields: object) -> None:
    """One JSON line on stdout, flushed at once (a bench killed half-way has printed what it had)."""
    print(json.dumps(fields, ensure_ascii=False), flush=True)


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile: no interpolation, so a figure some sample actually had."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def recreate_database(url: str) -> None:
    """Drop and create the PostgreSQL database ``url`` names (a bench's own, never the suite's)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.strip("/")
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database ``url`` names when it does not exist yet (a new machine has
    only ``postgres``); an existing one is left as it is (the bench migrates it)."""
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.strip("/")
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
