"""What the courier sees: server snapshots with the not-yet-settled ops replayed on top. Pure rules.

An op changes the local view at once (the courier pressed "delivered": the job shows delivered,
offline). The server's snapshot replaces the base on every pull; ops still in flight, or applied
but not yet reflected by a pull, are replayed over it so the screen never flickers back. Effects
only move a job forward in its flow, so replaying an op over a newer snapshot is harmless.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from mobile.offline.proposals import is_newer, keep_negotiation, with_proposal, with_refusal
from mobile.offline.store import Store

# How far along its flow a job is; an op's effect never moves a job backwards.
RANK = {
    "pending": 0,
    "assigned": 1,
    "accepted": 2,
    "started": 3,
    "arrived": 4,
    "completed": 5,
    "failed": 5,
    "cancelled": 6,
}
# kind → (job status after, shipment status after for a delivery job, for a pickup job)
EFFECTS: dict[str, tuple[str, str | None, str | None]] = {
    "accept": ("accepted", None, None),
    "start": ("started", "out_for_delivery", None),
    "arrive": ("arrived", None, None),
    "deliver": ("completed", "delivered", None),
    "fail": ("failed", "delivery_failed", None),
    "weigh": ("completed", None, "picked_up"),
}


def apply_effect(job: dict[str, Any], kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    if kind == "propose":  # not a step of the job: a question to the customer (proposals.py)
        return with_proposal(job, payload)
    effect = EFFECTS.get(kind)
    if effect is None or RANK.get(effect[0], 0) <= RANK.get(job["status"], 0):
        return job
    out = copy.deepcopy(job)
    out["status"] = effect[0]
    shipment_status = effect[1] if job["kind"] == "delivery" else effect[2]
    if shipment_status:
        out["shipment"]["status"] = shipment_status
    if kind == "weigh":
        out["shipment"]["measured_weight_g"] = payload.get("measured_weight_g")
    return out


UNSETTLED = (
    "SELECT kind, payload FROM outbox WHERE job_id = ? AND (state = 'queued' OR (state = 'applied' AND "
    "settled = 0)) ORDER BY seq"
)


def unsettled_ops(store: Store, job_id: int) -> list[tuple[str, dict[str, Any]]]:
    rows = store.db.execute(UNSETTLED, (job_id,))
    return [(str(r[0]), json.loads(r[1])) for r in rows]


def rebuild(store: Store, job_id: int, server: dict[str, Any] | None) -> None:
    """Recompute one job's local view from ``server`` (None: the job left my scope). Inside a tx."""
    if server is None:
        store.put_job(job_id, None, None)
        return
    local = with_refusal(store, server)
    for kind, payload in unsettled_ops(store, job_id):
        local = apply_effect(local, kind, payload)
    store.put_job(job_id, server, local)


def apply_changes(store: Store, changes: list[dict[str, Any]]) -> None:
    """Apply one pulled page (inside the transaction that also stores its cursor)."""
    snapshot_ids: set[int] | None = None
    for change in changes:
        op = change.get("op")
        if op == "snapshot":
            snapshot_ids = set()
        elif op == "job":
            job = change["job"]
            if snapshot_ids is not None:
                snapshot_ids.add(job["id"])
            held = store.server_job(job["id"])
            # Versions only grow: an older snapshot (a change a first pull already contained) is skipped.
            if held is None or job["version"] >= held["version"]:
                rebuild(store, job["id"], keep_negotiation(job, held))
        elif op == "negotiation":  # the job's question to the customer, and its answer
            n = change["negotiation"]
            server = store.server_job(n["job_id"])
            if server is not None and is_newer(n, server.get("negotiation")):
                server["negotiation"] = n
                rebuild(store, n["job_id"], server)
        elif op == "revoke":
            rebuild(store, change["job_id"], None)
        elif op == "shipment":
            shipment = change["shipment"]
            for job_id in store.job_ids_for_shipment(shipment["id"]):
                server = store.server_job(job_id)
                if server is not None:
                    server["shipment"] = shipment
                    rebuild(store, job_id, server)
        elif op == "shipment_status":  # a hand-over scan: the one field it changes
            for job_id in store.job_ids_for_shipment(change["shipment_id"]):
                server = store.server_job(job_id)
                if server is not None:
                    server["shipment"]["status"] = change["status"]
                    rebuild(store, job_id, server)
    if snapshot_ids is not None:
        for job_id in set(store.job_ids()) - snapshot_ids:
            rebuild(store, job_id, None)
