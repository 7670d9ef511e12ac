"""Print shell exports for the PostgreSQL and Redis that answer; loud note on stderr for those that don't.

Used by ``make test``: the suite runs on the real servers when they are there.
"""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlparse

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/parcelrun"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def answers(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


def main() -> int:
    db = os.environ.get("DATABASE_URL") or DEFAULT_DB
    redis = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    if answers(db, 5432):
        print(f"export DATABASE_URL={db}")
    else:
        print(f"!!! PostgreSQL does not answer at {db}: its tests will be SKIPPED", file=sys.stderr)
        print("unset DATABASE_URL")
    if answers(redis, 6379):
        print(f"export REDIS_URL={redis}")
    else:
        print(f"!!! Redis does not answer at {redis}: its tests will be SKIPPED", file=sys.stderr)
        print("unset REDIS_URL")
    return 0


if __name__ == "__main__":
    sys.exit(main())
