"""What the browser tests share: a daphne worker on the pytest test database, and running a
service in another thread while Playwright's loop holds this one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import connections

from bench.asgi_workers import Worker, start_workers, stop_workers

T = TypeVar("T")


def daphne_worker(tmp_path: Path, **env: str) -> Iterator[Worker]:
    """One daphne worker on the pytest test database and Redis (for a fixture to ``yield from``)."""
    db = settings.DATABASES["default"]
    workers = start_workers(
        1,
        database_url=f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        redis_url=settings.REDIS_URL,
        log_dir=tmp_path / "logs",
        extra_env={"FAST_PASSWORD_HASHER": "True", **env},
    )
    yield workers[0]
    stop_workers(workers)


def elsewhere(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a service in another thread, on its own database connection, as a handheld's request would.

    Playwright's sync API keeps an event loop running in the test's thread, and the services
    publish after commit through ``async_to_sync``, which refuses to run under a running loop."""

    def call() -> T:
        try:
            return fn(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()
