"""The fault checker: the simulation's own log, replayed through the reference model, against the
database read with plain SQL (nothing written, no backend code called).

- **lost**: an action in the sim log (not crashed, not bad on purpose) with no effect: no event with
  its op id, no held conflict, no call row, no claim, and no refusal the model explains; or an
  attachment it made that is not stored whole with its bytes.
- **duplicated**: an effect present more than once, counted per physical action (events of one kind
  from one device on one shipment beyond what the model predicts; call rows per op), not per key.
- **diverged**: a job or shipment whose status, courier, version, attempt count or event list
  differs from the model's prediction; an op applied that the model says must not be; a handheld
  whose jobs differ from the server's view of its scope.
- **unexplained**: a refusal not attributed to a cause the simulation created (a hand-over racing
  the op, another of the courier's devices or a scan moving the job first, bad input sent on
  purpose) with the code the contract gives for it; a crashed action that left a trace.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection

from bench.fault_model import (
    Action,
    JobState,
    SimLog,
    apply,
    hand_over,
    held_at,
    scan,
    verdict,
)


@dataclass
class Report:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    diverged: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        return {
            "lost": len(self.lost),
            "duplicated": len(self.duplicated),
            "diverged": len(self.diverged),
            "unexplained": len(self.unexplained),
            "examples": (self.lost[:3] + self.duplicated[:3] + self.diverged[:3] + self.unexplained[:3]),
        }


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())


def check(
    log: SimLog,
    jobs: dict[int, JobState],
    shipment_of: dict[int, int],
    setup_events: set[int],
    answers: dict[str, tuple[str, str]],
    media_root: Path,
) -> tuple[Report, dict[str, Any]]:
    """``jobs``: each job's state right after the world was made; ``answers``: op id → (state, code)
    the handhelds were told (what the courier saw, not used to find ops)."""
    r = Report()
    acts = {a.op_id: a for a in log.actions}
    live = [a for a in log.actions if not a.crashed]
    shipment_ids = sorted(set(shipment_of.values()))
    job_by_shipment = {s: j for j, s in shipment_of.items()}
    events = _rows(
        "SELECT id, shipment_id, kind, idempotency_key, device_id FROM shipments_trackingevent "
        "WHERE shipment_id = ANY(%s) ORDER BY id",
        [shipment_ids],
    )
    op_ids = [a.op_id for a in log.actions]
    claims = {
        str(k): (o, c)
        for k, o, c in _rows(
            "SELECT op_id::text, outcome, code FROM sync_appliedop WHERE op_id::text = ANY(%s)", [op_ids]
        )
    }
    held = {
        str(k)
        for (k,) in _rows("SELECT op_id FROM shipments_offlineconflict WHERE op_id = ANY(%s)", [op_ids])
    }
    calls = Counter(
        str(k) for (k,) in _rows("SELECT op_id::text FROM sync_calllog WHERE op_id::text = ANY(%s)", [op_ids])
    )
    for a in log.actions:
        if a.crashed and (a.op_id in claims or a.op_id in held or calls[a.op_id]):
            r.unexplained.append(f"crashed {a.kind} {a.op_id} reached the server")
    keyed = Counter(str(k) for _, _, _, k, _ in events if k)
    for k, n in keyed.items():
        if k in acts and acts[k].crashed:
            r.unexplained.append(f"crashed op {k} has an event")
        if n > 1:
            r.duplicated.append(f"op {k}: {n} events")

    # Replay each shipment's events in the server's order (its row lock orders them) through the model.
    by_shipment: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for e in events:
        by_shipment[e[1]].append(e)
    handovers = defaultdict(list)
    for h in log.handovers:
        handovers[h.job_id].append(h)
    applied_ops: set[str] = set()
    timelines: dict[int, list[JobState]] = {}
    for sid in shipment_ids:
        job_id = job_by_shipment[sid]
        s = jobs[job_id]
        timeline = [s]
        pending_handovers = list(handovers[job_id])
        expected: Counter[tuple[str, str]] = Counter()
        actual: Counter[tuple[str, str]] = Counter()
        for event_id, _, kind, key, device in by_shipment[sid]:
            if event_id in setup_events:
                continue  # the world's set-up: the model starts after it
            actual[(kind, device or "")] += 1
            a = acts.get(str(key)) if key else None
            if a is None:
                if kind == "job_assigned" and not device and pending_handovers:
                    h = pending_handovers.pop(0)
                    nxt = hand_over(s, h.to_courier)
                    if nxt is None:
                        r.diverged.append(f"job {job_id}: handed over from {s.status}")
                    else:
                        s = nxt
                        timeline.append(s)
                    expected[(kind, "")] += 1
                continue
            applied_ops.add(a.op_id)
            if a.kind == "scan":
                s, _ = scan(s, a.scan_kind or "")
                expected[(kind, a.device)] += 1 if kind == a.scan_kind else 0
                if kind != a.scan_kind:
                    r.diverged.append(f"scan {a.op_id} recorded as {kind}")
                timeline.append(s)
                continue
            options = verdict(s, a, held_at(handovers[job_id], job_id, a.courier_id, a.event_at))
            ok = [v for v in options if v.outcome == "apply" and v.event == kind]
            if not ok:
                r.diverged.append(
                    f"job {job_id}: {a.kind} {a.op_id} applied as {kind} in {s.status}/{s.shipment}"
                    f" (holder {s.courier_id}, by {a.courier_id}); the contract says {options}"
                )
                continue
            s = apply(s, a)
            expected[(kind, a.device)] += 1
            timeline.append(s)
        for h in pending_handovers:
            r.lost.append(f"hand-over of job {job_id} to {h.to_courier} has no event")
        for key, n in actual.items():
            if n > expected[key]:
                r.duplicated.append(
                    f"shipment {sid}: {n - expected[key]} extra {key[0]} from {key[1] or 'staff'}"
                )
        timelines[job_id] = timeline
        db = _rows(
            "SELECT j.status, j.version, j.attempt_count, j.courier_id, s.status FROM shipments_job j "
            "JOIN shipments_shipment s ON s.id = j.shipment_id WHERE j.id = %s",
            [job_id],
        )[0]
        predicted = (s.status, s.version, s.attempts, s.courier_id, s.shipment)
        if tuple(db) != predicted:
            r.diverged.append(f"job {job_id}: database {tuple(db)} != model {predicted}")

    for a in live:
        answer = answers.get(a.op_id, ("missing", ""))
        claim = claims.get(a.op_id)
        if a.bad:
            if a.op_id in applied_ops or (claim and claim[0] != "rejected") or answer[0] != "rejected":
                r.unexplained.append(f"bad input {a.kind} {a.op_id}: {answer}, server {claim}")
            elif answer[1] != a.bad:
                r.unexplained.append(f"bad input {a.op_id} refused as {answer[1]}, expected {a.bad}")
            continue
        if a.op_id in applied_ops:
            if answer[0] != "applied":
                r.diverged.append(f"{a.kind} {a.op_id} applied, the device was told {answer}")
            _check_media(a, media_root, r)
            continue
        if a.kind in ("location",):
            if claim is None or claim[0] != "applied" or answer[0] != "applied":
                r.lost.append(f"location {a.op_id}: server {claim}, device {answer}")
            continue
        if a.kind == "call_log" and calls[a.op_id]:
            if calls[a.op_id] > 1:
                r.duplicated.append(f"call {a.op_id}: {calls[a.op_id]} rows")
            if answer[0] != "applied":
                r.diverged.append(f"call {a.op_id} recorded, the device was told {answer}")
            continue
        if a.op_id in held:
            _explain_hold(a, timelines, handovers, r)
            if answer[0] != "applied":
                r.diverged.append(f"held {a.op_id}: device told {answer}")
            _check_media(a, media_root, r)
            continue
        if claim is None or claim[0] != "rejected":
            r.lost.append(
                f"{a.kind} {a.op_id} on job {a.job_id}: no effect (server {claim}, device {answer})"
            )
            continue
        if answer != ("rejected", claim[1]):
            r.diverged.append(f"{a.op_id}: server rejected {claim[1]}, device told {answer}")
        _explain_rejection(a, claim[1], timelines, handovers, r)
    chunked = sum(
        1
        for a in live
        if (a.op_id in applied_ops or a.op_id in held)
        for blob in a.media.values()
        if len(blob) > 256 * 1024
    )
    return r, {"applied_ops": len(applied_ops), "held": len(held), "chunked_photos_checked": chunked}


def _explain_hold(a: Action, timelines: dict[int, list[JobState]], handovers: Any, r: Report) -> None:
    assert a.job_id is not None
    h = held_at(handovers[a.job_id], a.job_id, a.courier_id, a.event_at)
    if not any(v.outcome == "hold" for s in timelines[a.job_id] for v in verdict(s, a, h)):
        r.unexplained.append(f"{a.kind} {a.op_id} held for a supervisor; the model never holds it")


def _explain_rejection(
    a: Action, code: str, timelines: dict[int, list[JobState]], handovers: Any, r: Report
) -> None:
    """A refusal is explained when the model gives this code in a state the job was in, and the
    simulation made that state race the op (another device, a scan or a hand-over moved the job)."""
    if a.job_id is None or a.job_id not in timelines:
        r.unexplained.append(f"{a.kind} {a.op_id} refused {code} (no job the sim knows)")
        return
    h = held_at(handovers[a.job_id], a.job_id, a.courier_id, a.event_at)
    states = timelines[a.job_id]
    if not any(v.outcome == "reject" and code in v.codes for s in states for v in verdict(s, a, h)):
        r.unexplained.append(f"{a.kind} {a.op_id} on job {a.job_id} refused {code}: the model never does")
        return
    raced = bool(handovers[a.job_id]) or len(states) > 1
    if not raced:
        r.unexplained.append(f"{a.kind} {a.op_id} refused {code} with nothing racing it")


def _check_media(a: Action, media_root: Path, r: Report) -> None:
    for sha, blob in a.media.items():
        path = media_root / "attachments" / sha[:2] / sha
        complete = _rows("SELECT count(*) FROM sync_attachment WHERE sha256 = %s AND complete", [sha])[0][0]
        if not path.exists() or complete != 1 or hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            r.lost.append(f"attachment {sha[:12]} of {a.op_id} ({len(blob)} bytes) not stored whole")
