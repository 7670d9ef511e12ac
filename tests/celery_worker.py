"""A real Celery worker in a subprocess, for the tests about Celery itself.

The worker reaches the test's own PostgreSQL database and Redis (the pytest-django database name
differs from the configured one, so the URL is rebuilt from the live settings).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from tests.servers import database_url

ROOT = Path(__file__).resolve().parents[1]


def worker_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        **extra,
    }


@contextmanager
def celery_worker(name: str, *options: str, env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """Start a worker, wait for its " ready." line, and stop it (SIGTERM, then kill) afterwards."""
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "backend",
            "worker",
            *options,
            "-l",
            "info",
            "--purge",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"{name}-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        seen = []
        for line in proc.stderr:  # type: ignore[union-attr]
            seen.append(line)
            if " ready." in line:
                break
        assert proc.poll() is None, "".join(seen)[-2000:]
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
