"""The browser tests' server: one real daphne worker per test (a module overrides ``server`` when
its server needs more, e.g. a shifted clock or a media root)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.asgi_workers import Worker
from tests.servers import daphne_worker


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Worker]:
    yield from daphne_worker(tmp_path)
