"""The `make run` path: SQLite, migrate, seed, a real daphne process, the demo courier lists today's jobs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _request(url: str, body: dict[str, str] | None = None, token: str = "") -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture
def demo_server(tmp_path: Path):
    # Exactly as `make run`: no test-only settings (a fast hasher in the seed but not in the server
    # once made every demo login fail).
    drop = ("DATABASE_URL", "REDIS_URL", "FAST_PASSWORD_HASHER")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env |= {"SQLITE_PATH": str(tmp_path / "demo.sqlite3"), "MEDIA_ROOT": str(tmp_path / "media")}
    py = sys.executable
    subprocess.run(
        [py, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    seed = subprocess.run(
        [py, "manage.py", "seed_demo", "--shipments", "60"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert seed.returncode == 0, seed.stderr
    port = _free_port()
    daphne = Path(py).with_name("daphne")
    proc = subprocess.Popen(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "backend.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    yield base, seed.stdout
    proc.terminate()
    proc.wait(timeout=10)


def test_demo_courier_logs_in_and_lists_todays_jobs(demo_server) -> None:
    base, seed_output = demo_server
    assert "E1001" in seed_output and "parcelrun-demo" in seed_output
    status, body = _request(
        f"{base}/api/v1/auth/login", {"login": "E1001", "password": "parcelrun-demo", "device_id": "ci-phone"}
    )
    assert status == 200, body
    assert isinstance(body, dict)
    status, jobs = _request(f"{base}/api/v1/me/jobs", token=str(body["token"]))
    assert status == 200, jobs
    assert isinstance(jobs, dict)
    rows = jobs["jobs"]
    assert isinstance(rows, list) and len(rows) > 0
    seqs = [r["planned_seq"] for r in rows if r["planned_seq"] is not None]
    assert seqs == sorted(seqs)
    status, schema = _request(f"{base}/api/schema/?format=json")
    assert status == 200 and isinstance(schema, dict) and schema["openapi"].startswith("3.")
