"""Suite-wide fixtures.

The tests about PostgreSQL or Redis behaviour are marked ``postgres`` / ``redis``. ``make test``
points DATABASE_URL/REDIS_URL at the real servers when they answer; when they do not, those tests
are skipped with a loud banner, unless PARCELRUN_REQUIRE_SERVICES=True (CI), where they fail.
"""

from __future__ import annotations

import os

import pytest

pytest_plugins = [
    "tests.fixtures.people",
    "tests.fixtures.jobs",
    "tests.fixtures.browser",
    "tests.fixtures.cache",
]

REQUIRE_SERVICES = os.environ.get("PARCELRUN_REQUIRE_SERVICES", "") in ("True", "true", "1")


def _on_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _redis_url() -> str:
    from django.conf import settings

    return str(getattr(settings, "REDIS_URL", "") or "")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing: list[str] = []
    if not _on_postgres():
        missing.append("postgres")
    if not _redis_url():
        missing.append("redis")
    for item in items:
        for name in missing:
            if name in item.keywords:
                if REQUIRE_SERVICES:
                    item.add_marker(
                        pytest.mark.xfail(
                            reason=f"{name} required but not configured", strict=True, run=False
                        )
                    )
                else:
                    item.add_marker(
                        pytest.mark.skip(reason=f"{name} not available (set DATABASE_URL/REDIS_URL)")
                    )


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"database: {'PostgreSQL' if _on_postgres() else 'SQLite'}; redis: {_redis_url() or 'none'}"]
    if not _on_postgres() or not _redis_url():
        lines.append("!" * 78)
        lines.append("!! PostgreSQL/Redis not configured: the tests about them are SKIPPED on this run.")
        lines.append("!! `make test` sets DATABASE_URL/REDIS_URL when the servers answer on loopback.")
        lines.append("!" * 78)
    return lines


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REQUIRE_SERVICES and (not _on_postgres() or not _redis_url()):
        session.exitstatus = 1
        print(
            "\nPARCELRUN_REQUIRE_SERVICES is set but PostgreSQL/Redis were not configured: failing the run."
        )
