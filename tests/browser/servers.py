"""What the browser tests share: running a service in another thread while Playwright's loop holds
this one. (Their daphne worker is tests/servers.py's.)"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import connections

T = TypeVar("T")


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
