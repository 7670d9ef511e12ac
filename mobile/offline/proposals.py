"""A job's negotiation on the handheld: what the server sent, and the courier's proposals on top. Pure rules.

The server's view of the job's latest negotiation (docs/sync-protocol.md, ``op: negotiation``) is
kept in the job's snapshot under ``negotiation``. A ``propose`` op shows at once, offline, as
``proposing`` ("proposed, waiting for the customer"); once the server holds that proposal its own
negotiation is shown. A refused proposal shows as ``refused`` with the server's reason until the
server sends another negotiation for the job or the courier proposes again.
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

from mobile.offline.store import Store, dumps


def is_newer(n: dict[str, Any], held: dict[str, Any] | None) -> bool:
    """Negotiation ids grow; one negotiation only leaves ``offered``, never comes back to it."""
    if held is None or held.get("id") is None:
        return True
    if n["id"] != held["id"]:
        return bool(n["id"] > held["id"])
    return bool(n["state"] != "offered" or held["state"] == "offered")


def keep_negotiation(job: dict[str, Any], held: dict[str, Any] | None) -> dict[str, Any]:
    """A new job snapshot carries no negotiation: keep the one held for it."""
    if held is None or "negotiation" not in held or "negotiation" in job:
        return job
    return {**job, "negotiation": held["negotiation"]}


def _same_time(a: Any, b: Any) -> bool:
    try:
        return datetime.fromisoformat(str(a)) == datetime.fromisoformat(str(b))
    except ValueError:
        return False


def holds_proposal(n: dict[str, Any] | None, payload: dict[str, Any]) -> bool:
    """The server's negotiation is this proposal (offered, answered or expired since)."""
    if not n or n.get("trigger") not in ("courier", "supervisor"):
        return False
    return any(
        o.get("kind") == "window" and _same_time(o.get("window_start"), payload.get("window_start"))
        for o in n.get("options") or []
    )


def with_proposal(job: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    """The local effect of a ``propose`` op not yet seen in a pull."""
    if holds_proposal(job.get("negotiation"), payload):
        return job  # the server's state of it (perhaps already answered) is newer than ours
    out = copy.deepcopy(job)
    out["negotiation"] = {
        "id": None,
        "job_id": job["id"],
        "state": "proposing",
        "trigger": "courier",
        "options": [],
        "chosen_key": "",
        "window_start": payload.get("window_start"),
        "window_end": payload.get("window_end"),
        "local": True,
    }
    return out


LAST_PROPOSAL = (
    "SELECT state, payload, code, message, result FROM outbox WHERE job_id = ? AND kind = 'propose' "
    "ORDER BY seq DESC LIMIT 1"
)


def with_refusal(store: Store, job: dict[str, Any]) -> dict[str, Any]:
    """Show the courier's last proposal as refused while nothing newer came for the job."""
    row = store.db.execute(LAST_PROPOSAL, (job["id"],)).fetchone()
    if row is None or row["state"] != "rejected":
        return job
    held = job.get("negotiation") or {}
    if json.loads(row["result"]).get("negotiation_seen") != held.get("id"):
        return job
    payload = json.loads(row["payload"])
    out = copy.deepcopy(job)
    out["negotiation"] = {
        "id": held.get("id"),
        "job_id": job["id"],
        "state": "refused",
        "trigger": "courier",
        "options": [],
        "chosen_key": "",
        "window_start": payload.get("window_start"),
        "window_end": payload.get("window_end"),
        "code": str(row["code"]),
        "message": str(row["message"]),
        "local": True,
    }
    return out


def note_refusal(store: Store, op_id: str, job_id: int) -> None:
    """Remember which server negotiation the job had when its proposal was refused (inside a tx)."""
    server = store.server_job(job_id) or {}
    seen = (server.get("negotiation") or {}).get("id")
    row = store.db.execute("SELECT result FROM outbox WHERE op_id = ?", (op_id,)).fetchone()
    result = {**json.loads(row[0]), "negotiation_seen": seen}
    store.db.execute("UPDATE outbox SET result = ? WHERE op_id = ?", (dumps(result), op_id))
