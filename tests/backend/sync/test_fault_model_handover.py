"""The fault checker's reference model and the server agree on which jobs a supervisor may hand
over (bench/fault_model.hand_over against shipments' ``job_assign``).

The model once left out failed jobs: when the simulation's staff read a job as open and it failed
before the reassignment committed, the server re-assigned it (a failed attempt goes out again,
docs/api.md) and the checker called that a divergence (a 20-seed run on 2026-12-05, seed 14).
"""

from __future__ import annotations

import pytest

from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.shipments import services as svc
from backend.shipments.models import Job
from bench.fault_model import JobState, hand_over
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person, make_courier

STEPS = ["assigned", "accepted", "started", "arrived", "failed"]


def _job_in(status: str, station: Station, staff: Person, courier: tuple[Courier, Person]) -> Job:
    job = make_job(station, staff.ctx)
    svc.scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=staff.ctx)
    job = svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=staff.ctx)
    ctx = courier[1].ctx
    for step in STEPS[1 : STEPS.index(status) + 1]:
        if step == "accepted":
            job = svc.job_accept(job_id=job.pk, ctx=ctx)
        elif step == "started":
            job = svc.job_start(job_id=job.pk, ctx=ctx)
        elif step == "arrived":
            if status == "failed":
                continue  # a courier may fail from started; arrived is checked on its own
            job = svc.job_arrive(job_id=job.pk, ctx=ctx)
        elif step == "failed":
            job = svc.job_fail(job_id=job.pk, ctx=ctx, reason_code="not_home")
    assert job.status == status
    return job


@pytest.mark.django_db
@pytest.mark.parametrize("status", STEPS)
def test_the_model_hands_over_exactly_what_the_server_does(
    status: str, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = _job_in(status, station, supervisor, courier)
    other = make_courier(station)[0]
    before = JobState(
        job_id=job.pk, kind="delivery", courier_id=courier[0].pk, status=status, version=job.version
    )
    predicted = hand_over(before, other.pk)
    try:
        after = svc.job_assign(job_id=job.pk, courier_id=other.pk, ctx=supervisor.ctx)
    except DomainError as exc:
        assert predicted is None, (
            f"the server refused ({exc.code}) a hand-over the model allows from {status}"
        )
        return
    assert predicted is not None, f"the server handed over a {status} job; the model says it cannot"
    assert (after.status, after.version, after.courier_id) == (
        predicted.status,
        predicted.version,
        predicted.courier_id,
    )
