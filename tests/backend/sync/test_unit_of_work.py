"""A push's job steps go through one unit of work: the same outcomes and rows as op by op, with
set-based writes; a failing op is undone in memory too; a row the database refuses at the end
sends the run back to op-by-op so only the bad op is rejected."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.shipments.models import DeliveryAttempt, FeedEntry, Job, ProofOfDelivery, Shipment, TrackingEvent
from tests.backend.sync.helpers import op, outcomes, proof, push, ready_job

pytestmark = pytest.mark.django_db


def _day(person, jobs: list[Job]) -> list[dict]:
    ops = []
    for i, job in enumerate(jobs):
        ops += [op(person, "start", {"job_id": job.pk}), op(person, "arrive", {"job_id": job.pk})]
        if i % 3 == 2:
            ops.append(
                op(
                    person,
                    "fail",
                    {"job_id": job.pk, "reason_code": "not_home", "next_step": {"kind": "retry"}},
                )
            )
        else:
            ops.append(op(person, "deliver", {"job_id": job.pk, "proof": proof(media_sha256=[f"{i:064x}"])}))
    return ops


def _writes(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]


def test_a_day_of_steps_lands_like_op_by_op_with_a_constant_number_of_statements(
    station, courier, supervisor
) -> None:
    person = courier[1]
    counts = {}
    for n in (2, 3, 9):  # the first push also creates the device's state: compare the later two
        jobs = [ready_job(station, supervisor, courier[0]) for _ in range(n)]
        ops = _day(person, jobs)
        with CaptureQueriesContext(connection) as ctx:
            body = push(person, ops)
        assert outcomes(body) == [("applied", "")] * len(ops)
        counts[n] = len(_writes(ctx)) - sum("sync_attachment" in s for s in _writes(ctx))
        for i, job in enumerate(jobs):
            job.refresh_from_db()
            failed = i % 3 == 2
            assert job.status == ("failed" if failed else "completed")
            assert job.version == 5  # assigned (2), started, arrived, finished: one bump per step
            assert job.attempt_count == 1
            assert Shipment.objects.get(pk=job.shipment_id).status == (
                "delivery_failed" if failed else "delivered"
            )
            kinds = list(TrackingEvent.objects.filter(job=job).order_by("pk").values_list("kind", flat=True))
            assert kinds[-3:] == ["job_started", "job_arrived", "delivery_attempt" if failed else "delivered"]
            assert DeliveryAttempt.objects.filter(job=job, succeeded=not failed).count() == 1
            assert ProofOfDelivery.objects.filter(job=job).count() == (0 if failed else 1)
            assert FeedEntry.objects.filter(job_id=job.pk, kind="job.updated").count() == 3
    # On PostgreSQL statements per push do not grow with its ops (only the attachment look-up per
    # proof does); SQLite's bulk_update splits rows into batches of its own.
    if connection.vendor == "postgresql":
        assert counts[3] == counts[9] <= 12


def test_an_op_that_fails_half_way_is_undone_in_memory_and_later_ops_see_the_earlier_state(
    station, courier, supervisor
) -> None:
    person = courier[1]
    good = ready_job(station, supervisor, courier[0])
    from backend.shipments.services import job_assign
    from tests.fixtures.jobs import make_job

    # Not scanned in at the station: starting it sets the job to started, then the parcel's own
    # transition refuses, after the job was already changed in memory.
    stuck = job_assign(
        job_id=make_job(station, supervisor.ctx, "delivery").pk, courier_id=courier[0].pk, ctx=supervisor.ctx
    )
    version = stuck.version
    body = push(
        person,
        [
            op(person, "start", {"job_id": stuck.pk}),
            op(person, "start", {"job_id": good.pk}),
            op(person, "arrive", {"job_id": stuck.pk}),
            op(person, "arrive", {"job_id": good.pk}),
        ],
    )
    assert outcomes(body) == [
        ("rejected", "invalid_transition"),
        ("applied", ""),
        ("rejected", "invalid_transition"),
        ("applied", ""),
    ]
    # The second refusal is about the job still being assigned: the first op's change was undone.
    assert body["results"][2]["details"]["current"] == "assigned"
    stuck.refresh_from_db()
    assert (stuck.status, stuck.version) == ("assigned", version)
    assert not TrackingEvent.objects.filter(job=stuck, kind__in=["job_started", "job_arrived"]).exists()
    assert Job.objects.get(pk=good.pk).status == "arrived"


@pytest.mark.postgres
def test_a_row_refused_at_flush_rejects_only_its_op(station, courier, supervisor) -> None:
    person = courier[1]
    a, b = ready_job(station, supervisor, courier[0]), ready_job(station, supervisor, courier[0])
    ops = [
        op(person, "start", {"job_id": a.pk}),
        op(person, "start", {"job_id": b.pk}),
        op(person, "deliver", {"job_id": a.pk, "proof": proof(recipient_name="名" * 65)}),  # column holds 64
        op(person, "deliver", {"job_id": b.pk, "proof": proof()}),
    ]
    assert outcomes(push(person, ops)) == [
        ("applied", ""),
        ("applied", ""),
        ("rejected", "malformed_op"),
        ("applied", ""),
    ]
    assert Job.objects.get(pk=a.pk).status == "started"
    assert Job.objects.get(pk=b.pk).status == "completed"
    assert ProofOfDelivery.objects.filter(job_id=b.pk).count() == 1


def test_two_jobs_of_one_parcel_in_one_push_see_each_others_changes(station, courier, supervisor) -> None:
    person = courier[1]
    first = ready_job(station, supervisor, courier[0])
    # A second open job on the same parcel (as a re-attempt or a pickup-then-delivery would be).
    second = Job.objects.create(
        kind="delivery",
        shipment=first.shipment,
        station=station,
        courier=courier[0],
        status="assigned",
        service_date=first.service_date,
    )
    body = push(
        person,
        [
            op(person, "start", {"job_id": first.pk}),
            op(person, "start", {"job_id": second.pk}),
            op(person, "arrive", {"job_id": first.pk}),
            op(person, "deliver", {"job_id": first.pk, "proof": proof()}),
            op(person, "fail", {"job_id": second.pk, "reason_code": "not_home"}),
        ],
    )
    # The parcel was delivered by the first job: the second cannot fail it back, in memory or in the table.
    assert outcomes(body)[:4] == [("applied", "")] * 4
    assert outcomes(body)[4] == ("rejected", "invalid_transition")
    assert Shipment.objects.get(pk=first.shipment_id).status == "delivered"
    assert Job.objects.get(pk=second.pk).status == "started"
