"""The outbox: every action the courier records, in order, until the server has answered it.

States: ``queued`` (not yet answered), ``applied`` (the server applied it, or had already),
``rejected`` (the server refused it: kept with its code and message, shown to the courier, never
dropped). An applied op is ``settled`` once a pull that started after its answer has completed,
because that pull's snapshots already include its effect.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mobile.offline.local_state import rebuild
from mobile.offline.proposals import note_refusal
from mobile.offline.store import Store, dumps
from parcelkit.uuid7 import uuid7

MAX_TRIES = 5  # "retry" answers before an op is shown to the courier as failed


@dataclass(frozen=True)
class OutboxOp:
    seq: int
    op_id: str
    kind: str
    job_id: int | None
    event_at: str
    payload: dict[str, Any]
    state: str
    code: str
    message: str

    def wire(self, device_id: str) -> dict[str, Any]:
        return {
            "op_id": self.op_id,
            "device_id": device_id,
            "seq": self.seq,
            "event_at": self.event_at,
            "kind": self.kind,
            "payload": self.payload,
        }


def _row(r: Any) -> OutboxOp:
    return OutboxOp(
        int(r["seq"]),
        str(r["op_id"]),
        str(r["kind"]),
        r["job_id"],
        str(r["event_at"]),
        json.loads(r["payload"]),
        str(r["state"]),
        str(r["code"]),
        str(r["message"]),
    )


def append(
    store: Store, *, kind: str, payload: dict[str, Any], event_at: datetime, job_id: int | None = None
) -> str:
    """Store an op and update the local view, in one transaction. Returns the op id."""
    op_id = str(uuid7())
    with store.tx():
        store.db.execute(
            "INSERT INTO outbox (seq, op_id, kind, job_id, event_at, payload, state) VALUES (?, ?, ?, ?, ?, ?, 'queued')",
            (store.next_seq(), op_id, kind, job_id, event_at.isoformat(), dumps(payload)),
        )
        if job_id is not None:
            remember_parcel(store, job_id)
            rebuild(store, job_id, store.server_job(job_id))
    return op_id


def remember_parcel(store: Store, job_id: int) -> None:
    """Keep the job's tracking number and person: a refused op must name its parcel even after the
    job left the handheld (reassigned, cancelled), not show a job id (issue 17). Inside a tx."""
    key = f"parcel:{job_id}"
    job = store.job(job_id)
    if job is None or store.meta(key) is not None:
        return
    shipment = job.get("shipment") or {}
    person = shipment.get("recipient_name") if job.get("kind") != "pickup" else shipment.get("sender_name")
    store.set_meta(
        key,
        dumps(
            {
                "tracking_no": shipment.get("tracking_no") or "",
                "name": person or shipment.get("recipient_name") or "",
                "address": job.get("address") or "",
            }
        ),
    )


def parcel_of(store: Store, job_id: int) -> dict[str, str]:
    """The remembered tracking number, person and address of a job (empty strings when unknown)."""
    raw = store.meta(f"parcel:{job_id}")
    found = json.loads(raw) if raw else {}
    return {k: str(found.get(k) or "") for k in ("tracking_no", "name", "address")}


def queued(store: Store, limit: int, up_to_seq: int | None = None) -> list[OutboxOp]:
    """The oldest queued ops; with ``up_to_seq``, only those recorded up to that seq."""
    rows = store.db.execute(
        "SELECT * FROM outbox WHERE state = 'queued' AND seq <= ? ORDER BY seq LIMIT ?",
        (up_to_seq if up_to_seq is not None else 2**62, limit),
    )
    return [_row(r) for r in rows]


def last_seq(store: Store) -> int:
    row = store.db.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()
    return int(row[0])


def all_ops(store: Store) -> list[OutboxOp]:
    return [_row(r) for r in store.db.execute("SELECT * FROM outbox ORDER BY seq")]


def rejected(store: Store) -> list[OutboxOp]:
    """What the courier must look at: refused actions with the server's reason."""
    return [_row(r) for r in store.db.execute("SELECT * FROM outbox WHERE state = 'rejected' ORDER BY seq")]


def pending_count(store: Store) -> int:
    return int(store.db.execute("SELECT COUNT(*) FROM outbox WHERE state = 'queued'").fetchone()[0])


def record_results(store: Store, results: list[dict[str, Any]], now: float | None = None) -> int:
    """Store the server's answers; returns how many ops were answered (``retry`` leaves an op queued).
    ``now`` is the sync engine's clock (epoch seconds); the wall clock when not given."""
    answered = 0
    now = time.time() if now is None else now
    jobs: set[int] = set()
    with store.tx():
        for r in results:
            outcome = r.get("outcome")
            if outcome == "duplicate":
                outcome = r.get("original", "applied")
            if outcome not in ("applied", "rejected"):
                row = store.db.execute(
                    "UPDATE outbox SET tries = tries + 1 WHERE op_id = ? RETURNING tries", (r.get("op_id"),)
                ).fetchone()
                if row is None or row[0] < MAX_TRIES:
                    continue
                # The server failed on it again and again: show it to the courier rather than retry for ever.
                outcome, r = (
                    "rejected",
                    {
                        **r,
                        "code": r.get("code") or "server_error",
                        "message": r.get("message") or "the server could not apply this action",
                    },
                )
            cur = store.db.execute(
                "UPDATE outbox SET state = ?, code = ?, message = ?, result = ?, acked_at = ? "
                "WHERE op_id = ? AND state = 'queued' RETURNING job_id, kind",
                (outcome, r.get("code", ""), r.get("message", ""), dumps(r), now, r.get("op_id")),
            )
            row = cur.fetchone()
            if row is not None:
                answered += 1
                if row[0] is not None:
                    jobs.add(int(row[0]))
                    if outcome == "rejected" and row[1] == "propose":
                        note_refusal(store, str(r.get("op_id")), int(row[0]))
        for job_id in jobs:  # a rejected op's effect leaves the local view now
            rebuild(store, job_id, store.server_job(job_id))
    return answered


def reject_locally(store: Store, op_id: str, code: str, message: str) -> None:
    """The server refused the op's whole request (not just the op): keep it, visibly, as rejected."""
    record_results(store, [{"op_id": op_id, "outcome": "rejected", "code": code, "message": message}])


def settle(store: Store, answered_before: float) -> None:
    """A pull that started at ``answered_before`` finished: ops answered before it are in its snapshots."""
    with store.tx():
        rows = store.db.execute(
            "UPDATE outbox SET settled = 1 WHERE state = 'applied' AND settled = 0 AND acked_at < ? RETURNING job_id",
            (answered_before,),
        ).fetchall()
        for job_id in {int(r[0]) for r in rows if r[0] is not None}:
            rebuild(store, job_id, store.server_job(job_id))
