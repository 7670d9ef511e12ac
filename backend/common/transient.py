"""Transient database errors: run the operation again instead of answering 500.

PostgreSQL ends a transaction with "deadlock detected" (40P01) or "could not serialize access"
(40001) when two writers wait on each other; it rolled the whole transaction back, so nothing
was written and nothing was published (publishing happens after commit). The operation is
sound; running it again, a moment later, succeeds. Lock order makes these rare (docs/dispatch.md,
"Locks"), never impossible: a row a deferred foreign key checks at commit, a plan a person edits.

``retry_transient`` wraps a service's entry: when the service owns its transaction (no atomic
block is open when it is called), a transient error runs it again, up to ``ATTEMPTS`` times with
a short jittered back-off. Inside a caller's transaction it cannot retry (the caller's work is
rolled back too) and lets the error travel up to the outermost service, which retries. What
still escapes is answered 503 ``busy`` with Retry-After by ``backend.common.busy``, never 500.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import OperationalError, transaction

log = logging.getLogger(__name__)

TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure
ATTEMPTS = 4
BACKOFF_S = 0.05  # first pause; doubled each time, with jitter so the two losers do not meet again

P = ParamSpec("P")
R = TypeVar("R")


def is_transient(exc: BaseException) -> bool:
    """A deadlock or serialization failure, as Django raises it (its OperationalError wrapping psycopg's)."""
    return any(getattr(err, "sqlstate", None) in TRANSIENT_SQLSTATES for err in (exc, exc.__cause__))


def backoff_s(attempt: int) -> float:
    """The pause before the ``attempt``-th retry (1-based): 50 ms, 100 ms, 200 ms… times 0.5–1.5."""
    return float(BACKOFF_S * 2 ** (attempt - 1) * (0.5 + random.random()))  # jitter, not secrecy


def retry_transient(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` again after a transient database error, when it owns its transaction."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if transaction.get_connection().in_atomic_block:
            return fn(*args, **kwargs)  # the outermost service retries the whole transaction
        attempt = 1
        while True:
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if not is_transient(exc) or attempt >= ATTEMPTS:
                    raise
                log.warning("%s: %s; running it again (attempt %d)", fn.__qualname__, exc, attempt + 1)
                time.sleep(backoff_s(attempt))
                attempt += 1

    return run
