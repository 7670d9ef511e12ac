"""The one table of allowed status changes, for shipments and jobs. Pure code.

Scans are facts and are recorded even when they do not move the status (see services.scan);
everything else must be in this table or it is refused with ``invalid_transition``.
"""

from __future__ import annotations

from backend.common.errors import DomainError
from backend.shipments.states import JobStatus as J
from backend.shipments.states import ShipmentStatus as S

SHIPMENT_ALLOWED: dict[S, frozenset[S]] = {
    S.CREATED: frozenset({S.PICKED_UP, S.AT_STATION, S.CANCELLED, S.EXCEPTION}),
    S.PICKED_UP: frozenset({S.AT_STATION, S.EXCEPTION}),
    S.AT_STATION: frozenset({S.OUT_FOR_DELIVERY, S.HELD, S.RETURNING, S.EXCEPTION}),
    S.OUT_FOR_DELIVERY: frozenset({S.DELIVERED, S.DELIVERY_FAILED, S.AT_STATION, S.EXCEPTION}),
    S.DELIVERY_FAILED: frozenset({S.OUT_FOR_DELIVERY, S.AT_STATION, S.HELD, S.RETURNING, S.EXCEPTION}),
    S.HELD: frozenset({S.DELIVERED, S.OUT_FOR_DELIVERY, S.RETURNING, S.EXCEPTION}),
    S.RETURNING: frozenset({S.RETURNED, S.EXCEPTION}),
    S.EXCEPTION: frozenset({S.AT_STATION, S.RETURNING, S.CANCELLED}),
    S.DELIVERED: frozenset(),
    S.RETURNED: frozenset(),
    S.CANCELLED: frozenset(),
}

JOB_ALLOWED: dict[J, frozenset[J]] = {
    J.PENDING: frozenset({J.ASSIGNED, J.CANCELLED}),
    # ASSIGNED → ASSIGNED is a reassignment to another courier.
    J.ASSIGNED: frozenset({J.ASSIGNED, J.PENDING, J.ACCEPTED, J.STARTED, J.CANCELLED}),
    J.ACCEPTED: frozenset({J.ASSIGNED, J.PENDING, J.STARTED, J.CANCELLED}),
    # A courier may skip "arrived" (it is a convenience for ETAs), not "started".
    J.STARTED: frozenset({J.ASSIGNED, J.ARRIVED, J.COMPLETED, J.FAILED, J.CANCELLED}),
    J.ARRIVED: frozenset({J.COMPLETED, J.FAILED}),
    # After a failed attempt the job is re-attempted (assigned again) or closed.
    J.FAILED: frozenset({J.ASSIGNED, J.CANCELLED}),
    J.COMPLETED: frozenset(),
    J.CANCELLED: frozenset(),
}

JOB_OPEN = frozenset(s for s, nxt in JOB_ALLOWED.items() if nxt)
SHIPMENT_TERMINAL = frozenset(s for s, nxt in SHIPMENT_ALLOWED.items() if not nxt)


def shipment_can(current: str, to: str) -> bool:
    return S(to) in SHIPMENT_ALLOWED[S(current)]


def job_can(current: str, to: str) -> bool:
    return J(to) in JOB_ALLOWED[J(current)]


def check_shipment(current: str, to: str) -> None:
    if not shipment_can(current, to):
        raise DomainError(
            "invalid_transition",
            f"a shipment cannot go from {current} to {to}",
            entity="shipment",
            current=current,
            requested=to,
        )


def check_job(current: str, to: str) -> None:
    if not job_can(current, to):
        raise DomainError(
            "invalid_transition",
            f"a job cannot go from {current} to {to}",
            entity="job",
            current=current,
            requested=to,
        )
