"""The env-driven settings: strict parsing, secrets from files, and a production profile that passes --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.common.env import EnvError, channel_prefix_from_url, database_from_url, env_bool, env_str

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_profile_passes_check_deploy_with_no_warnings() -> None:
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        PARCELRUN_PROFILE="production",
        SECRET_KEY="k" * 20 + "Zx9!pQ2@mN7#vB4$cR1%tY6^uI3&oP8*",
        ALLOWED_HOSTS="parcelrun.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_profile_refuses_to_start_without_a_secret_key() -> None:
    result = _manage("check", PARCELRUN_PROFILE="production", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_development_key_is_refused_whenever_debug_is_off() -> None:
    # Without the production profile too: DEBUG=False with the public key would let anyone forge links.
    result = _manage("check", DEBUG="False", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "development key is public" in result.stderr


def test_check_deploy_flags_the_development_key() -> None:
    result = _manage("check", "--deploy", SECRET_KEY="")
    assert "parcelrun.E001" in result.stdout + result.stderr


def test_dev_defaults_warn_under_check_deploy() -> None:
    # The embedded defaults are for laptops: --deploy must say so rather than pass silently.
    result = _manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0


def test_booleans_are_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "yes")
    with pytest.raises(EnvError):
        env_bool("X_FLAG", False)
    monkeypatch.setenv("X_FLAG", "False")
    assert env_bool("X_FLAG", True) is False
    monkeypatch.delenv("X_FLAG")
    assert env_bool("X_FLAG", True) is True


def test_secrets_can_come_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "key"
    secret.write_text("s3cret\n")
    monkeypatch.setenv("MY_SECRET_FILE", str(secret))
    assert env_str("MY_SECRET") == "s3cret"


def test_database_url_is_parsed_for_psycopg() -> None:
    db = database_from_url("postgres://app:p%40ss@db.internal:6543/parcelrun")
    assert (db["ENGINE"], db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "django.db.backends.postgresql",
        "parcelrun",
        "app",
        "p@ss",
        "db.internal",
        "6543",
    )
    with pytest.raises(EnvError):
        database_from_url("mysql://x@y/z")


def test_the_channels_prefix_carries_the_redis_database_number() -> None:
    assert channel_prefix_from_url("redis://127.0.0.1:6379") == "asgi.db0"
    assert channel_prefix_from_url("redis://127.0.0.1:6379/0") == "asgi.db0"
    assert channel_prefix_from_url("rediss://:pw@cache.internal:6380/7") == "asgi.db7"
    assert channel_prefix_from_url("unix:///run/redis.sock?db=3") == "asgi.db3"
    for bad in ("http://x/1", "redis://x/cache"):
        with pytest.raises(EnvError):
            channel_prefix_from_url(bad)


def test_the_api_docs_are_for_staff_only_under_the_production_profile() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SPECTACULAR_SETTINGS['SERVE_PERMISSIONS'])"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    env = clean | {
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "PARCELRUN_PROFILE": "production",
        "SECRET_KEY": "k" * 20 + "Zx9!pQ2@mN7#vB4$cR1%tY6^uI3&oP8*",
        "ALLOWED_HOSTS": "parcelrun.example.com",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == "['rest_framework.permissions.IsAdminUser']", out.stderr


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_run_often_is_prepared_on_the_server_once() -> None:
    """PostgreSQL plans a repeated statement once (settings: DATABASE_PREPARED_STATEMENTS): on the
    realtime bench that took a third off the database's CPU a reassignment."""
    from django.db import connection

    from backend.couriers.models import Station

    for _ in range(6):  # psycopg prepares at the fifth run on a connection
        list(Station.objects.filter(code="NOPE").values_list("pk", flat=True))
    with connection.cursor() as cur:
        cur.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cur.fetchall()]
    assert any("couriers_station" in s and '"code"' in s for s in prepared), prepared
