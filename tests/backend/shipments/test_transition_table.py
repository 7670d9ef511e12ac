"""The transition table itself: pure checks, every pair."""

from __future__ import annotations

import itertools

import pytest

from backend.common.errors import DomainError
from backend.shipments import transitions
from backend.shipments.states import JobStatus, ShipmentStatus


@pytest.mark.parametrize("current,to", list(itertools.product(ShipmentStatus.values, repeat=2)))
def test_shipment_pairs_follow_the_table(current: str, to: str) -> None:
    allowed = ShipmentStatus(to) in transitions.SHIPMENT_ALLOWED[ShipmentStatus(current)]
    assert transitions.shipment_can(current, to) is allowed
    if allowed:
        transitions.check_shipment(current, to)
    else:
        with pytest.raises(DomainError) as exc:
            transitions.check_shipment(current, to)
        assert exc.value.code == "invalid_transition"
        assert exc.value.details == {"entity": "shipment", "current": current, "requested": to}


@pytest.mark.parametrize("current,to", list(itertools.product(JobStatus.values, repeat=2)))
def test_job_pairs_follow_the_table(current: str, to: str) -> None:
    allowed = JobStatus(to) in transitions.JOB_ALLOWED[JobStatus(current)]
    assert transitions.job_can(current, to) is allowed
    if not allowed:
        with pytest.raises(DomainError) as exc:
            transitions.check_job(current, to)
        assert exc.value.code == "invalid_transition"


def test_every_status_has_a_row_and_terminal_states_lead_nowhere() -> None:
    assert set(transitions.SHIPMENT_ALLOWED) == set(ShipmentStatus)
    assert set(transitions.JOB_ALLOWED) == set(JobStatus)
    assert {
        ShipmentStatus.DELIVERED,
        ShipmentStatus.RETURNED,
        ShipmentStatus.CANCELLED,
    } == transitions.SHIPMENT_TERMINAL
    assert JobStatus.COMPLETED not in transitions.JOB_OPEN and JobStatus.CANCELLED not in transitions.JOB_OPEN


def test_every_non_terminal_shipment_state_can_reach_a_terminal_one() -> None:
    # No state may trap a parcel forever: walk the graph from each state.
    for start in ShipmentStatus:
        seen, todo = {start}, [start]
        while todo:
            for nxt in transitions.SHIPMENT_ALLOWED[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        assert seen & transitions.SHIPMENT_TERMINAL, start
