"""Start and stop real daphne worker processes on free loopback ports (tests and bench/realtime.py).

Each worker is a separate process with its own event loop, channel-layer connections and feed
tail, all on one PostgreSQL and one Redis: the production layout of docs/operations.md, minus the
proxy (clients pick a worker's port themselves).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Worker:
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_s(self) -> float:
        """0 once the process is gone (a bench that kills a worker on purpose reads it after)."""
        try:
            return cpu_seconds(self.proc.pid)
        except OSError:
            return 0.0

    def rss_kb(self) -> int:
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def start_workers(
    n: int,
    *,
    database_url: str,
    redis_url: str,
    log_dir: Path,
    extra_env: dict[str, str] | None = None,
    timeout_s: float = 60,
    daphne_args: tuple[str, ...] = (),
    cpus: str | None = None,
) -> list[Worker]:
    """``cpus``: a ``taskset -c`` list the workers are pinned to (the load generator runs elsewhere)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        **(extra_env or {}),
    }
    daphne = str(Path(sys.executable).parent / "daphne")
    log_dir.mkdir(parents=True, exist_ok=True)
    workers = []
    for i in range(n):
        port = free_port()
        log = log_dir / f"daphne-{i}-{port}.log"
        # BENCH_PROFILE_DIR=path: run each worker under cProfile (written when the worker stops).
        profile = os.environ.get("BENCH_PROFILE_DIR")
        wrap = [sys.executable, "-m", "cProfile", "-o", f"{profile}/worker-{i}.prof"] if profile else []
        if cpus:
            wrap = ["taskset", "-c", cpus, *wrap]
        proc = subprocess.Popen(
            [
                *wrap,
                daphne,
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                "-v",
                "0",
                *daphne_args,
                "backend.asgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        workers.append(Worker(port, proc, log))
    deadline = time.monotonic() + timeout_s
    for w in workers:
        while not _answers(w.port):
            if w.proc.poll() is not None or time.monotonic() > deadline:
                stop_workers(workers)
                raise RuntimeError(f"daphne on {w.port} did not start:\n{w.log.read_text()[-2000:]}")
            time.sleep(0.1)
    return workers


def stop_workers(workers: list[Worker]) -> None:
    for w in workers:
        if w.proc.poll() is None:
            w.proc.terminate()
    for w in workers:
        try:
            w.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            w.proc.kill()
            w.proc.wait()
