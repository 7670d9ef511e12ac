"""异常件 / 未上传数据: the courier's work the server refused or has not received yet. Plain Python.

One row per parcel action (delivery, failed attempt, pickup, scan, proposed time): its tracking
number and person (remembered when the action was recorded, so a job that left the handheld is
still named), whether it waits for upload or was refused, and the refusal's code. A refused row
stays until the courier acknowledges it or hands it to the supervisor; either is kept on the
handheld with its time (the op and its proof are never deleted), and only unresolved refusals
count on Today and stop a plain log out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from mobile.i18n import N_
from mobile.offline.outbox import OutboxOp, all_ops, parcel_of
from mobile.offline.store import Store, dumps

RESOLUTIONS = ("acknowledged", "supervisor")
# Bookkeeping ops carry no parcel of their own; the parcel's action says it all.
SILENT_KINDS = frozenset({"location", "accept", "start", "arrive", "call_log"})
KIND_LABELS = {
    "deliver": N_("Delivery"),
    "fail": N_("Failed attempt"),
    "weigh": N_("Pickup"),
    "scan": N_("Scan"),
    "propose": N_("Proposed time"),
}


@dataclass(frozen=True)
class Problem:
    op_id: str
    seq: int
    kind: str
    state: str  # "queued" (未上传) or "rejected" (上传失败)
    code: str
    job_id: int | None
    tracking_no: str
    name: str
    resolution: str  # "" (open), "acknowledged" or "supervisor"

    @property
    def open(self) -> bool:
        return self.state == "rejected" and not self.resolution


def _key(op_id: str) -> str:
    return f"resolved:{op_id}"


def _problem(store: Store, op: OutboxOp) -> Problem:
    parcel = parcel_of(store, op.job_id) if op.job_id is not None else {"tracking_no": "", "name": ""}
    tracking = parcel["tracking_no"] or str(op.payload.get("tracking_no") or "")
    raw = store.meta(_key(op.op_id))
    resolution = str(json.loads(raw).get("how", "")) if raw else ""
    return Problem(
        op.op_id, op.seq, op.kind, op.state, op.code, op.job_id, tracking, parcel["name"], resolution
    )


def problems(store: Store) -> list[Problem]:
    """Refused actions first (open ones before resolved), then the ones waiting for upload, by seq."""
    found = [
        _problem(store, op)
        for op in all_ops(store)
        if op.state in ("queued", "rejected") and op.kind not in SILENT_KINDS
    ]
    return sorted(found, key=lambda p: (p.state != "rejected", not p.open, p.seq))


def open_count(store: Store) -> int:
    """Refusals the courier has not dealt with: the lasting count on Today."""
    return sum(1 for p in problems(store) if p.open)


def resolve(store: Store, op_id: str, how: str, at: datetime) -> None:
    """Acknowledge a refusal, or hand it to the supervisor; the op and its proof stay on the handheld."""
    if how not in RESOLUTIONS:
        raise ValueError(f"unknown resolution {how!r}")
    row = store.db.execute("SELECT state FROM outbox WHERE op_id = ?", (op_id,)).fetchone()
    if row is None or row[0] != "rejected":
        raise ValueError(f"op {op_id} is not a refused action")
    with store.tx():
        store.set_meta(_key(op_id), dumps({"how": how, "at": at.isoformat()}))
