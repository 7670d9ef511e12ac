"""Every (from, to) pair of the tables, driven through the real services.

Allowed pairs succeed and write exactly one TrackingEvent and one change-feed row; every other
pair is refused with ``invalid_transition`` and changes nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from django.db.models import F

from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.shipments import services as svc
from backend.shipments.context import Ctx
from backend.shipments.models import FeedEntry, Job, Shipment, TrackingEvent
from backend.shipments.services.door_inputs import PickupInput, ProofInput
from backend.shipments.states import JobKind
from backend.shipments.states import JobStatus as J
from backend.shipments.states import ShipmentStatus as S
from backend.shipments.transitions import JOB_ALLOWED, SHIPMENT_ALLOWED
from tests.fixtures.jobs import make_job

# The shipment status that goes with each job status, per job kind.
_CONSISTENT: dict[str, dict[J, S]] = {
    JobKind.DELIVERY: {
        J.PENDING: S.AT_STATION,
        J.ASSIGNED: S.AT_STATION,
        J.ACCEPTED: S.AT_STATION,
        J.STARTED: S.OUT_FOR_DELIVERY,
        J.ARRIVED: S.OUT_FOR_DELIVERY,
        J.COMPLETED: S.DELIVERED,
        J.FAILED: S.DELIVERY_FAILED,
        J.CANCELLED: S.AT_STATION,
    },
    JobKind.PICKUP: {status: S.CREATED for status in J} | {J.COMPLETED: S.PICKED_UP},
}

PICKUP = PickupInput(
    measured_weight_g=1234, weight_source="scale", scale_model="MT-SICS sim", prohibited_items_absent=True
)
PROOF = ProofInput(
    method="signature", recipient_relation="self", recipient_name="李四", media_sha256=["a" * 64]
)


def _put_job_in(job: Job, status: J, courier: Courier) -> None:
    """Test set-up only: jump straight to a state without walking the path."""
    Job.objects.filter(pk=job.pk).update(status=status, courier=None if status == J.PENDING else courier)
    Shipment.objects.filter(pk=job.shipment_id).update(status=_CONSISTENT[job.kind][status])


def _service_for(to: J, kind: str, other: Courier) -> Callable[[int, Ctx], Job]:
    table: dict[J, Callable[[int, Ctx], Job]] = {
        J.PENDING: lambda jid, ctx: svc.job_unassign(job_id=jid, ctx=ctx, reason="test"),
        J.ASSIGNED: lambda jid, ctx: svc.job_assign(job_id=jid, courier_id=other.pk, ctx=ctx, reason="test"),
        J.ACCEPTED: lambda jid, ctx: svc.job_accept(job_id=jid, ctx=ctx),
        J.STARTED: lambda jid, ctx: svc.job_start(job_id=jid, ctx=ctx),
        J.ARRIVED: lambda jid, ctx: svc.job_arrive(job_id=jid, ctx=ctx),
        J.FAILED: lambda jid, ctx: svc.job_fail(job_id=jid, ctx=ctx, reason_code="not_home"),
        J.CANCELLED: lambda jid, ctx: svc.job_cancel(job_id=jid, ctx=ctx, reason="test"),
        J.COMPLETED: (
            (lambda jid, ctx: svc.job_complete_pickup(job_id=jid, ctx=ctx, data=PICKUP))
            if kind == JobKind.PICKUP
            else (lambda jid, ctx: svc.job_deliver(job_id=jid, ctx=ctx, proof=PROOF))
        ),
    }
    return table[to]


@pytest.mark.parametrize("kind", [JobKind.DELIVERY, JobKind.PICKUP])
@pytest.mark.parametrize("current,to", list(itertools.product(list(J), repeat=2)))
def test_job_pair_through_its_service(
    kind: str, current: J, to: J, station: Station, admin, courier, other_courier
) -> None:
    job = make_job(station, admin.ctx, kind)
    _put_job_in(job, current, courier[0])
    before = (TrackingEvent.objects.count(), FeedEntry.objects.count())
    version = Job.objects.get(pk=job.pk).version
    run = _service_for(to, kind, other_courier[0])

    if to in JOB_ALLOWED[current]:
        result = run(job.pk, admin.ctx)
        assert result.status == to
        assert Job.objects.get(pk=job.pk).version == version + 1
        assert (TrackingEvent.objects.count(), FeedEntry.objects.count()) == (before[0] + 1, before[1] + 1)
        feed = FeedEntry.objects.order_by("-cursor").first()
        assert feed is not None and feed.job_id == job.pk
        assert feed.payload["job"]["status"] == to
    else:
        with pytest.raises(DomainError) as exc:
            run(job.pk, admin.ctx)
        assert exc.value.code == "invalid_transition"
        assert (TrackingEvent.objects.count(), FeedEntry.objects.count()) == before
        assert Job.objects.get(pk=job.pk).version == version


@pytest.mark.parametrize("current,to", list(itertools.product(list(S), repeat=2)))
def test_shipment_pair_through_its_service(current: S, to: S, station: Station, supervisor) -> None:
    job = make_job(station, supervisor.ctx, JobKind.DELIVERY)
    Shipment.objects.filter(pk=job.shipment_id).update(status=current)
    before = (TrackingEvent.objects.count(), FeedEntry.objects.count())
    if to in SHIPMENT_ALLOWED[current]:
        shipment = svc.shipment_transition(
            shipment_id=job.shipment_id, to=to, ctx=supervisor.ctx, reason="test"
        )
        assert Shipment.objects.get(pk=shipment.pk).status == to
        assert (TrackingEvent.objects.count(), FeedEntry.objects.count()) == (before[0] + 1, before[1] + 1)
        event = TrackingEvent.objects.order_by("-pk").first()
        assert event is not None and event.status_after == to and event.details["reason"] == "test"
    else:
        with pytest.raises(DomainError) as exc:
            svc.shipment_transition(shipment_id=job.shipment_id, to=to, ctx=supervisor.ctx, reason="test")
        assert exc.value.code == "invalid_transition"
        assert Shipment.objects.get(pk=job.shipment_id).status == current
        assert (TrackingEvent.objects.count(), FeedEntry.objects.count()) == before


def test_reassigning_to_the_same_courier_is_refused(station, supervisor, courier) -> None:
    job = make_job(station, supervisor.ctx)
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    with pytest.raises(DomainError) as exc:
        svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    assert exc.value.code == "invalid_transition"


def test_feed_cursors_increase_by_one_per_change(station, supervisor, courier) -> None:
    job = make_job(station, supervisor.ctx)
    svc.job_assign(job_id=job.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    svc.job_accept(job_id=job.pk, ctx=courier[1].ctx)
    cursors = list(FeedEntry.objects.order_by("cursor").values_list("cursor", flat=True))
    assert cursors == list(range(cursors[0], cursors[0] + len(cursors)))
    assert Job.objects.filter(pk=job.pk, version=F("version")).get().version == 3
