"""At most N writing requests of a server process at once, so reads always find a connection.

Every request needs one of the worker's pooled database connections, and the pool hands them out
first come, first served. Under overload a worker holds far more requests than connections (the
sustained bench: ~100 couriers' pushes per worker), so a courier's pull, a supervisor's console
page or a customer's answer page waited behind every queued push: pull p99 7 s. The gate admits
at most ``slots`` writing requests (any method but GET, HEAD, OPTIONS) into the synchronous
chain at a time, one connection fewer than the pool, and lets reads straight through; the writes
beyond it wait in the event loop, holding neither a thread nor a connection. Writes are not
slowed (the pool admitted no more of them before), and they are not dropped: one that waits
longer than the pool's own timeout is answered 503 ``busy`` exactly as a pool timeout is
(``backend.common.busy``), and nothing was written.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class WriteGate:
    slots: int
    timeout_s: float
    _sem: asyncio.Semaphore | None = field(default=None, init=False)

    def applies(self, method: str) -> bool:
        return self.slots > 0 and method.upper() not in READ_METHODS

    async def enter(self) -> bool:
        """Take a slot; False when none came free within ``timeout_s`` (the caller answers busy)."""
        if self._sem is None:  # made on first use: it belongs to the server's event loop
            self._sem = asyncio.Semaphore(self.slots)
        try:
            await asyncio.wait_for(self._sem.acquire(), self.timeout_s)
        except TimeoutError:
            return False
        return True

    def leave(self) -> None:
        assert self._sem is not None
        self._sem.release()


def gate_from_settings() -> WriteGate:
    from django.conf import settings

    return gate_for(settings.DATABASES["default"])


def gate_for(database: dict[str, object]) -> WriteGate:
    """One slot fewer than the database's connection pool (none without a pool: nothing queues there)."""
    options = database.get("OPTIONS")
    pool = options.get("pool") if isinstance(options, dict) else None
    if not isinstance(pool, dict) or int(pool.get("max_size", 0)) < 2:
        return WriteGate(slots=0, timeout_s=0)
    return WriteGate(slots=int(pool["max_size"]) - 1, timeout_s=float(pool.get("timeout", 10)))
