"""A throw-away PostgreSQL cluster of the bench's own, to restart with ``-m immediate`` mid-run.

Never the machine's cluster: ``initdb`` into a temp dir, its own port, trust auth on loopback,
run as the ``postgres`` OS user when the bench runs as root (PostgreSQL refuses root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.syncserver import free_port

BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


class BenchCluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="parcelrun-pgbench-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.restarts = 0
        self._as_postgres = os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        command = [str(BIN / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, timeout=120)

    def start(self) -> None:
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        conf = (
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.dir}'\n"
            "shared_buffers = 64MB\nmax_connections = 200\nfsync = on\nlogging_collector = off\n"
        )
        with open(self.data / "postgresql.conf", "a") as fh:
            fh.write(conf)
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "parcelrun_faults")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/parcelrun_faults"

    def restart_immediate(self) -> float:
        """``pg_ctl restart -m immediate``: every backend dies, crash recovery at start. Seconds down."""
        started = time.monotonic()
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-m", "immediate", "-w", "restart"
        )
        self.restarts += 1
        return time.monotonic() - started

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
