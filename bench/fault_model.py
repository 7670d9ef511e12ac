"""The fault checker's own reference: what the simulation did, and what the server must hold for it.

Nothing here imports the backend. ``SimLog`` is written by the simulation as it acts (never read
back from a handheld's outbox or the server); ``JobModel`` is a plain state machine written for the
checker from the contract — the job table and the shipment moves in docs/api.md ("Each lifecycle
action", "Hand-over scans") and the conflict rules in docs/sync-protocol.md — not the backend's
transition tables or services.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

# docs/api.md: the job lifecycle.
OPEN = ("assigned", "accepted", "started", "arrived")
# A supervisor may hand these over (docs/api.md, `assign`). "failed" too: a failed attempt goes out
# again. The simulation's staff only picks open jobs, but the job it read may fail before its
# reassignment commits; the server then re-assigns the failed job, as the contract says. Missing
# here, a seed whose staff lost that race reported the server's correct answer as a divergence.
TAKEABLE = ("assigned", "accepted", "started", "failed")
# docs/sync-protocol.md, conflict rules: where a reassignment alone leaves a parcel.
NO_DECISION = ("at_station", "out_for_delivery", "delivery_failed")
# Shipment moves the handheld's actions and scans can make (docs/api.md), as (from, to) pairs.
SHIPMENT_MOVES = {
    ("created", "picked_up"),
    ("created", "at_station"),
    ("picked_up", "at_station"),
    ("at_station", "out_for_delivery"),
    ("out_for_delivery", "delivered"),
    ("out_for_delivery", "delivery_failed"),
    ("out_for_delivery", "at_station"),
    ("delivery_failed", "out_for_delivery"),
    ("delivery_failed", "at_station"),
}
STATION_DECISIONS = ("at_station", "held", "returning", "exception")
SCAN_TO = {"station_in": "at_station", "loaded_out": "out_for_delivery", "sorted": None}
STEP_EVENT = {
    "start": "job_started",
    "arrive": "job_arrived",
    "deliver": "delivered",
    "weigh": "pickup_scan",
}
STEP_CODES = frozenset({"already_done", "invalid_transition", "job_closed", "already_weighed"})


@dataclass
class Action:
    """One thing a simulated courier did on a handheld, as the simulation did it."""

    device: str
    courier_id: int
    kind: str
    op_id: str
    event_at: datetime
    order: int  # the device's own recording order
    job_id: int | None = None
    tracking_no: str | None = None
    scan_kind: str | None = None
    media: dict[str, bytes] = field(default_factory=dict)  # sha256 → the bytes the sim made
    bad: str = ""  # sent on purpose: the refusal code it must get
    crashed: bool = False  # the handheld died before its record committed: must leave no trace


@dataclass
class Handover:
    job_id: int
    from_courier: int
    to_courier: int
    t_start: datetime  # the supervisor's call began / ended (the server's instant is in between)
    t_end: datetime


@dataclass
class SimLog:
    actions: list[Action] = field(default_factory=list)
    handovers: list[Handover] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, action: Action) -> None:
        with self.lock:
            self.actions.append(action)

    def handover(self, h: Handover) -> None:
        with self.lock:
            self.handovers.append(h)


@dataclass
class JobState:
    job_id: int
    kind: str  # delivery / pickup
    courier_id: int
    status: str = "assigned"
    version: int = 2  # created (1), assigned (2)
    attempts: int = 0
    shipment: str = "created"

    def copy(self) -> JobState:
        return JobState(**self.__dict__)


@dataclass(frozen=True)
class Verdict:
    """What the contract says an op does to the job in state ``s``."""

    outcome: str  # apply / hold / reject
    codes: frozenset[str] = frozenset()
    event: str = ""


def held_at(handovers: list[Handover], job_id: int, courier_id: int, at: datetime) -> set[bool]:
    """Did ``courier_id`` hold the job at ``at``? Both answers when ``at`` falls inside a hand-over call
    (the server's instant is somewhere in it). The first hand-over after ``at`` says who had it."""
    answers: set[bool] = set()
    later = [h for h in handovers if h.job_id == job_id and h.t_end > at]
    if not later:
        return {None}  # type: ignore[arg-type]  # nobody took it since: the holder now decides
    first = later[0]
    answers.add(first.from_courier == courier_id)
    if first.t_start <= at:  # the call was running at ``at``: it may have landed just before
        nxt = later[1] if len(later) > 1 else None
        answers.add(nxt.from_courier == courier_id if nxt else False)
    return answers


def verdict(s: JobState, a: Action, held_then: set[bool | None]) -> list[Verdict]:
    """Every outcome the contract allows for action ``a`` on a job in state ``s`` (one, except where
    the hand-over time is ambiguous)."""
    mine = s.courier_id == a.courier_id
    out: list[Verdict] = []
    if a.kind in ("deliver", "fail") and not mine:
        for held in held_then:
            holder_then = mine if held is None else held
            if not holder_then:
                out.append(Verdict("reject", frozenset({"not_assigned_to_you"})))
            elif s.status in ("completed", "failed"):
                out.append(Verdict("reject", frozenset({"job_closed"})))
            elif (
                a.kind == "deliver"
                and s.kind == "delivery"
                and s.status in OPEN
                and s.shipment in NO_DECISION
            ):
                out.append(Verdict("apply", event="delivered"))  # offline delivery beats reassignment
            else:
                out.append(Verdict("hold"))
        return out
    if not mine:
        return [Verdict("reject", frozenset({"not_assigned_to_you"}))]
    if a.kind == "call_log":  # a call about one's own job is recorded, whatever its status
        return [Verdict("apply")]
    return [_own_step(s, a)]


def _own_step(s: JobState, a: Action) -> Verdict:
    k, st = a.kind, s.status
    no = Verdict("reject", STEP_CODES)
    if k == "start":
        if st not in ("assigned", "accepted"):
            return no
        if s.kind == "delivery" and s.shipment != "out_for_delivery":
            return (
                Verdict("apply", event="job_started")
                if (s.shipment, "out_for_delivery") in SHIPMENT_MOVES
                else no
            )
        return Verdict("apply", event="job_started")
    if k == "arrive":
        return Verdict("apply", event="job_arrived") if st == "started" else no
    if k in ("deliver", "fail"):
        if st not in ("started", "arrived"):
            return no
        if s.kind == "delivery":
            to = "delivered" if k == "deliver" else "delivery_failed"
            if (s.shipment, to) not in SHIPMENT_MOVES:
                # docs/sync-protocol.md: the parcel back at the station (a station_in scan) is a
                # station's change; the fact is kept for a supervisor, nothing else changes.
                return Verdict("hold") if s.shipment in STATION_DECISIONS else no
        elif k == "deliver":
            return Verdict("reject", frozenset({"wrong_job_kind"}))
        return Verdict(
            "apply",
            event="delivered"
            if k == "deliver"
            else ("delivery_attempt" if s.kind == "delivery" else "pickup_failed"),
        )
    if k == "weigh":
        if s.kind != "pickup":
            return Verdict("reject", frozenset({"wrong_job_kind"}))
        if st not in ("started", "arrived") or (s.shipment, "picked_up") not in SHIPMENT_MOVES:
            return no
        return Verdict("apply", event="pickup_scan")
    return Verdict("reject", frozenset({"unknown"}))


def apply(s: JobState, a: Action) -> JobState:
    """The state after an applied step."""
    n = s.copy()
    n.version += 1
    n.courier_id = a.courier_id
    if a.kind == "start":
        n.status = "started"
        if s.kind == "delivery":
            n.shipment = "out_for_delivery"
    elif a.kind == "arrive":
        n.status = "arrived"
    elif a.kind == "deliver":
        n.status, n.attempts, n.shipment = "completed", s.attempts + 1, "delivered"
    elif a.kind == "fail":
        n.status, n.attempts = "failed", s.attempts + 1
        if s.kind == "delivery":
            n.shipment = "delivery_failed"
    elif a.kind == "weigh":
        n.status, n.attempts, n.shipment = "completed", s.attempts + 1, "picked_up"
    return n


def hand_over(s: JobState, to: int) -> JobState | None:
    if s.status not in TAKEABLE:
        return None
    n = s.copy()
    n.version, n.courier_id, n.status = s.version + 1, to, "assigned"
    return n


def scan(s: JobState, scan_kind: str) -> tuple[JobState, bool]:
    """A scan is a fact: recorded always; moves the shipment when the move is allowed. (state, moved)"""
    to = SCAN_TO.get(scan_kind)
    if to is None or (s.shipment, to) not in SHIPMENT_MOVES:
        return s, False
    n = s.copy()
    n.shipment = to
    return n, True
