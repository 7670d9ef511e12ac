"""The handheld's local database: the courier's jobs, reference lists, the outbox. Plain Python.

SQLite in WAL mode with ``synchronous=FULL``: a transaction that returned is on flash, so a crash
or a battery pull at any moment keeps every recorded action (electrum's storage makes the same
promise with write-then-rename). Every change is one ``with store.tx():`` block.

A job row holds two views: ``server`` (the last snapshot pulled) and ``local`` (that snapshot
with the courier's not-yet-settled ops replayed on top; what the screens show). See outbox.py.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    shipment_id INTEGER,
    server TEXT,              -- last snapshot from the server (JSON), NULL when revoked
    local TEXT NOT NULL       -- what the courier sees
);
CREATE INDEX IF NOT EXISTS jobs_shipment ON jobs (shipment_id);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,  -- the device sequence number
    op_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    job_id INTEGER,
    event_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,      -- queued | applied | rejected
    settled INTEGER NOT NULL DEFAULT 0,  -- applied and seen in a later pull
    code TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    result TEXT NOT NULL DEFAULT '{}',
    tries INTEGER NOT NULL DEFAULT 0,
    acked_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
-- A job's view is rebuilt from its unsettled ops after every pull: without this, a scan of the
-- whole outbox per job (a day offline is thousands of ops).
CREATE INDEX IF NOT EXISTS outbox_job ON outbox (job_id, seq);
CREATE TABLE IF NOT EXISTS attachments (
    sha256 TEXT PRIMARY KEY, content_type TEXT NOT NULL, data BLOB NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS reference (name TEXT PRIMARY KEY, version TEXT NOT NULL, data TEXT NOT NULL);
"""


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class Store:
    def __init__(self, path: str, *, device_id: str) -> None:
        self.path = path
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a block is exactly one transaction.
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self._lock = threading.RLock()  # the UI thread records while the sync thread applies a pull
        self._depth = 0
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self.db.execute(statement)
        with self.tx():
            if self.meta("device_id") is None:
                self.set_meta("device_id", device_id)
        self.device_id = self.meta("device_id") or device_id

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (nested blocks join the outer one)."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.db
                finally:
                    self._depth -= 1
                return
            self.db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            else:
                self.db.execute("COMMIT")
            finally:
                self._depth = 0

    # meta ---------------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self.db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                "value = excluded.value",
                (key, value),
            )

    def next_seq(self) -> int:
        """The next device sequence number; call inside the transaction that stores the op."""
        seq = int(self.meta("next_seq") or "1")
        self.set_meta("next_seq", str(seq + 1))
        return seq

    # jobs ---------------------------------------------------------------------------------------
    def job(self, job_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT local FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def jobs(self) -> list[dict[str, Any]]:
        return [json.loads(r[0]) for r in self.db.execute("SELECT local FROM jobs ORDER BY id")]

    def server_job(self, job_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT server FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None or row[0] is None else json.loads(row[0])

    def put_job(self, job_id: int, server: dict[str, Any] | None, local: dict[str, Any] | None) -> None:
        if local is None:
            self.db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            return
        self.db.execute(
            "INSERT INTO jobs (id, shipment_id, server, local) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
            "shipment_id = excluded.shipment_id, server = excluded.server, local = excluded.local",
            (job_id, local["shipment"]["id"], None if server is None else dumps(server), dumps(local)),
        )

    def job_ids(self) -> list[int]:
        return [int(r[0]) for r in self.db.execute("SELECT id FROM jobs")]

    def job_ids_for_shipment(self, shipment_id: int) -> list[int]:
        return [
            int(r[0]) for r in self.db.execute("SELECT id FROM jobs WHERE shipment_id = ?", (shipment_id,))
        ]

    # reference lists ----------------------------------------------------------------------------
    def put_reference(self, name: str, version: str, data: Any) -> None:
        self.db.execute(
            "INSERT INTO reference (name, version, data) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
            "SET version = excluded.version, data = excluded.data",
            (name, version, dumps(data)),
        )

    def reference(self, name: str) -> Any:
        row = self.db.execute("SELECT data FROM reference WHERE name = ?", (name,)).fetchone()
        return None if row is None else json.loads(row[0])

    def reference_versions(self) -> dict[str, str]:
        return {str(r[0]): str(r[1]) for r in self.db.execute("SELECT name, version FROM reference")}

    # attachments --------------------------------------------------------------------------------
    def put_attachment(self, sha256: str, content_type: str, data: bytes) -> None:
        self.db.execute(
            "INSERT INTO attachments (sha256, content_type, data) VALUES (?, ?, ?) "
            "ON CONFLICT (sha256) DO NOTHING",
            (sha256, content_type, data),
        )

    def attachments_to_upload(self) -> list[tuple[str, str, bytes]]:
        rows = self.db.execute("SELECT sha256, content_type, data FROM attachments WHERE uploaded = 0")
        return [(str(r[0]), str(r[1]), bytes(r[2])) for r in rows]

    def mark_uploaded(self, sha256: str) -> None:
        with self.tx():
            self.db.execute("UPDATE attachments SET uploaded = 1 WHERE sha256 = ?", (sha256,))
