"""The real servers the tests start on the pytest test database: the database's URL for a child
process, and one daphne worker (bench/asgi_workers.py, as production runs it) for a fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from bench.asgi_workers import Worker, start_workers, stop_workers


def database_url() -> str:
    """The pytest test database (``test_…``), as a URL a child process's settings read."""
    db = settings.DATABASES["default"]
    auth = str(db["USER"]) + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def daphne_worker(tmp_path: Path, **env: str) -> Iterator[Worker]:
    """One daphne worker on the pytest test database and Redis (for a fixture to ``yield from``)."""
    workers = start_workers(
        1,
        database_url=database_url(),
        redis_url=settings.REDIS_URL,
        log_dir=tmp_path / "logs",
        extra_env={"FAST_PASSWORD_HASHER": "True", **env},
    )
    yield workers[0]
    stop_workers(workers)
