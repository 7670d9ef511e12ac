"""Run the real server (daphne, the production ASGI server) as a child process, and kill it hard."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url(db: dict[str, object]) -> str:
    """settings.DATABASES['default'] → the URL the child's settings read (the test database's name)."""
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


class ServerProcess:
    def __init__(
        self,
        *,
        database_url: str,
        port: int | None = None,
        log_path: str | None = None,
        extra_env: dict[str, str] | None = None,
        hooks: bool = False,
    ) -> None:
        self.port = port or free_port()
        self.hooks = hooks  # bench/faultserver.py: daphne with the fault bench's kill hooks and mutants
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **(extra_env or {}),
        }
        self.log_path = log_path or os.devnull
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self, timeout_s: float = 30) -> None:
        daphne = str(Path(sys.executable).with_name("daphne"))
        command = [sys.executable, "-m", "bench.faultserver"] if self.hooks else [daphne]
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(
            [*command, "-b", "127.0.0.1", "-p", str(self.port), "backend.asgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start in time")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, open transactions are cut off mid-way."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class ServerPool:
    """``workers`` daphne processes accepting on one listening socket (what a process manager does).

    Each worker also listens on a port of its own (``ports``). A burst of connections to the shared
    socket mostly lands on one worker (Twisted accepts a whole backlog per wake-up) and a worker's
    Python runs one thread at a time (the GIL), so a load generator with long-lived connections
    spreads them over ``ports`` itself, as a proxy balancing requests over workers would.
    """

    def __init__(
        self,
        *,
        database_url: str,
        workers: int = 2,
        log_path: str | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = int(self.sock.getsockname()[1])
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **(extra_env or {}),
        }
        self.workers = workers
        self.ports = [free_port() for _ in range(workers)]
        self.log_path = log_path or os.devnull
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, timeout_s: float = 30) -> None:
        daphne = str(Path(sys.executable).with_name("daphne"))
        fd = self.sock.fileno()
        for port in self.ports:
            log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
            self.procs.append(
                subprocess.Popen(
                    [
                        daphne,
                        "--fd",
                        str(fd),
                        "-e",
                        f"tcp:port={port}:interface=127.0.0.1",
                        "backend.asgi:application",
                    ],
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=log,
                    pass_fds=(fd,),
                )
            )
            log.close()
        deadline = time.monotonic() + timeout_s
        import http.client

        waiting = list(self.ports)
        while waiting and time.monotonic() < deadline:  # the shared socket accepts at once: ask each worker
            try:
                conn = http.client.HTTPConnection("127.0.0.1", waiting[0], timeout=2)
                conn.request("GET", "/api/v1/sync/pull")
                conn.getresponse().read()
                conn.close()
                waiting.pop(0)
            except OSError:
                time.sleep(0.1)
        if waiting:
            raise RuntimeError("the server did not answer in time")

    @property
    def pids(self) -> list[int]:
        return [proc.pid for proc in self.procs]

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.sock.close()
