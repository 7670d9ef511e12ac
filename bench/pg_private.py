"""A PostgreSQL cluster of the bench's own, configured as PostgreSQL ships (autovacuum on, fsync on).

The machine's shared cluster runs with ``autovacuum = off``, which only postgresql.conf or the
command line can change (a database or a table cannot turn it back on: with the launcher off only
anti-wraparound vacuums run), and restarting it would cut off everyone else. A sustained bench on
tables with tens of millions of rows must pay for vacuum and analyze as production does, so it
runs on a cluster it initialises itself, on its own port, with stock settings.

    .venv/bin/python bench/pg_private.py start  [--dir /var/tmp/parcelrun_bench_pg] [--port 55432]
    .venv/bin/python bench/pg_private.py stop   [--dir ...]

``start`` is idempotent (an existing data directory is reused: the preload is done once) and
prints the DATABASE_URL to use. PostgreSQL refuses to run as root, so as root the cluster runs as
the ``postgres`` user.
"""

from __future__ import annotations

import argparse
import os
import pwd
import subprocess
import sys
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")
DEFAULT_DIR = "/var/tmp/parcelrun_bench_pg"
DEFAULT_PORT = 55432


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _bin() -> Path:
    if BIN.exists():
        return BIN
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def start(data_dir: str, port: int) -> str:
    d = Path(data_dir)
    if not (d / "PG_VERSION").exists():
        d.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(d, pw.pw_uid, pw.pw_gid)
        subprocess.run(
            _as_owner([str(_bin() / "initdb"), "-D", str(d), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # Only what a bench cluster needs beyond the stock file: its own port, a socket directory
        # anyone can use, and enough connections for the bench's workers. Nothing tuned.
        with open(d / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {port}\nunix_socket_directories = '/tmp'\nmax_connections = 200\n")
    status = subprocess.run(_as_owner([str(_bin() / "pg_ctl"), "-D", str(d), "status"]), capture_output=True)
    if status.returncode != 0:
        subprocess.run(
            _as_owner([str(_bin() / "pg_ctl"), "-D", str(d), "-l", str(d / "server.log"), "-w", "start"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    url = f"postgres://postgres@127.0.0.1:{port}/parcelrun_bench"
    exists = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "-Atc",
            "SELECT 1 FROM pg_database WHERE datname = 'parcelrun_bench'",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    if exists.stdout.strip() != "1":
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "parcelrun_bench"], check=True
        )
    return url


def stop(data_dir: str) -> None:
    subprocess.run(
        _as_owner([str(_bin() / "pg_ctl"), "-D", data_dir, "-m", "fast", "-w", "stop"]), check=False
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--dir", default=DEFAULT_DIR)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args()
    if args.action == "start":
        print(start(args.dir, args.port))
    else:
        stop(args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
