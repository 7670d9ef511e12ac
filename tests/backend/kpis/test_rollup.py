"""The roll-up on real rows written by the real services, at instants chosen in the station's zone.

Each history is made through the services a handheld and a supervisor call (scan, assign, start,
deliver), with the clock frozen at each step, so ``event_at`` (the device's time) and
``received_at`` (the server's) are the ones production would write.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.couriers.models import Courier, Station
from backend.kpis.models import KpiDay, Metric
from backend.kpis.selectors import day_bounds, kpi_day_figures, rollups_due
from backend.kpis.services import kpi_rollup
from backend.kpis.tasks import rollup_due
from backend.negotiation.option import OptionInput
from backend.negotiation.services import negotiation_answer, negotiation_offer
from backend.shipments.context import Ctx
from backend.shipments.models import Job
from backend.shipments.services import job_assign, job_deliver, job_fail, job_start, scan
from backend.shipments.services.door_inputs import ProofInput
from backend.sync.models import Attachment
from tests.clock import FIXTURE_DAY
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db
D = FIXTURE_DAY
PROOF = ProofInput(
    method="signature",
    recipient_relation="self",
    recipient_name="李四",
    media_sha256=["a" * 64],
    lat=30.29,
    lng=120.14,
)


def local(station: Station, hour: int, minute: int = 0, day: date = D) -> datetime:
    return datetime.combine(day, dtime(hour, minute), tzinfo=ZoneInfo(station.time_zone))


def as_of(person: Person, when: datetime) -> Ctx:
    return dataclasses.replace(person.ctx, event_at=when)


def out_for_delivery(
    station: Station,
    supervisor: Person,
    courier: Courier,
    person: Person,
    *,
    promised_end: datetime,
    start: datetime | None = None,
) -> Job:
    """A parcel scanned in and given to ``courier`` at ``start`` (08:00 on D), taken out 10 minutes later."""
    start = start or local(station, 8)
    with time_machine.travel(start, tick=False):
        job = make_job(station, supervisor.ctx, promised_start=start, promised_end=promised_end)
        scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
        job = job_assign(job_id=job.pk, courier_id=courier.pk, ctx=supervisor.ctx)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        return job_start(job_id=job.pk, ctx=person.ctx)


def rows(station: Station, day: date) -> list[tuple[object, ...]]:
    return list(
        KpiDay.objects.filter(station=station, day=day)
        .order_by("metric", "courier_id")
        .values_list("metric", "courier_id", "numerator", "denominator")
    )


def test_a_delivery_uploaded_the_next_morning_is_rolled_up_into_the_evening_it_was_made(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    alice, person = courier
    job = out_for_delivery(station, supervisor, alice, person, promised_end=local(station, 23, 59))
    # The nightly roll-up of D at 02:00 on D+1: the handheld has not uploaded yet.
    with time_machine.travel(local(station, 2, day=D + timedelta(days=1)), tick=False):
        kpi_rollup(station_id=station.pk, day=D)
    assert not [r for r in rows(station, D) if r[0] == Metric.ON_TIME]
    # Delivered at 23:50 on D in a basement; uploaded at 08:00 on D+1.
    with time_machine.travel(local(station, 8, day=D + timedelta(days=1)), tick=False):
        job_deliver(job_id=job.pk, ctx=as_of(person, local(station, 23, 50)), proof=PROOF)
        # The next night's roll-up recomputes D (it re-does the last closed days) and D+1.
        kpi_rollup(station_id=station.pk, day=D)
        kpi_rollup(station_id=station.pk, day=D + timedelta(days=1))
    got = {(m, c): (n, d) for m, c, n, d in rows(station, D)}
    assert got[(Metric.ON_TIME, None)] == (1, 1) and got[(Metric.ON_TIME, alice.pk)] == (
        1,
        1,
    )  # 23:50 <= 23:59
    assert got[(Metric.FIRST_ATTEMPT, None)] == (1, 1)
    assert got[(Metric.ATTEMPTS, None)] == (1, 1)
    # station_in (08:00, at once) is in time; delivered, 8 h 10 min after its device time, is not.
    assert got[(Metric.SCAN_TIMELY, None)] == (1, 2) and got[(Metric.SCAN_TIMELY, alice.pk)] == (0, 1)
    # The signature's image was never uploaded (no attachment): the proof is not complete.
    assert got[(Metric.PROOF_COMPLETE, None)] == (0, 1)
    assert rows(station, D + timedelta(days=1)) == []  # nothing of it belongs to the upload's day


def test_the_roll_up_is_idempotent(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    alice, person = courier
    job = out_for_delivery(station, supervisor, alice, person, promised_end=local(station, 12))
    with time_machine.travel(local(station, 14), tick=False):
        job_deliver(job_id=job.pk, ctx=person.ctx, proof=PROOF)
    with time_machine.travel(local(station, 2, day=D + timedelta(days=1)), tick=False):
        first = kpi_rollup(station_id=station.pk, day=D)
        once = rows(station, D)
        second = kpi_rollup(station_id=station.pk, day=D)
    assert first == second == len(once) > 0
    assert rows(station, D) == once
    assert KpiDay.objects.filter(station=station, day=D).count() == len(once)
    assert (Metric.ON_TIME.value, None, 0, 1) in once  # 14:00 > 12:00: late


def test_a_load_onto_another_courier_s_route_is_a_mis_sort(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    (alice, _), (bob, bob_person) = courier, other_courier
    with time_machine.travel(local(station, 7), tick=False):
        job = make_job(station, supervisor.ctx)
        scan(tracking_no=job.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
        job_assign(job_id=job.pk, courier_id=alice.pk, ctx=supervisor.ctx)
    with time_machine.travel(local(station, 7, 30), tick=False):
        # Bob's handheld loads Alice's parcel into his van.
        scan(tracking_no=job.shipment.tracking_no, scan_kind="loaded_out", ctx=bob_person.ctx)
    figures = kpi_day_figures(station, D)
    assert figures[(Metric.MIS_SORT, None)] == (1, 1)
    assert figures[(Metric.MIS_SORT, bob.pk)] == (1, 1)
    assert (Metric.MIS_SORT, alice.pk) not in figures


@pytest.mark.parametrize(("hour", "minute"), [(0, 30), (23, 30)])
def test_events_near_midnight_belong_to_the_station_s_day_whatever_the_utc_date(
    station: Station, supervisor: Person, courier: tuple[Courier, Person], hour: int, minute: int
) -> None:
    alice, person = courier
    delivered_at = local(station, hour, minute)
    job = out_for_delivery(
        station,
        supervisor,
        alice,
        person,
        promised_end=local(station, 23, 59),
        start=delivered_at - timedelta(minutes=20),
    )
    with time_machine.travel(delivered_at + timedelta(minutes=1), tick=False):
        job_deliver(job_id=job.pk, ctx=as_of(person, delivered_at), proof=PROOF)
    start, end = day_bounds(D, station.time_zone)
    assert start <= delivered_at < end
    assert kpi_day_figures(station, D)[(Metric.ATTEMPTS, None)] == (1, 1)
    for other in (D - timedelta(days=1), D + timedelta(days=1)):
        assert (Metric.ATTEMPTS, None) not in kpi_day_figures(station, other)


def test_a_roll_up_of_one_station_holds_nothing_of_another(
    station: Station,
    other_station: Station,
    supervisor: Person,
    other_supervisor: Person,
    courier: tuple[Courier, Person],
) -> None:
    alice, person = courier
    job = out_for_delivery(station, supervisor, alice, person, promised_end=local(station, 12))
    with time_machine.travel(local(station, 11), tick=False):
        job_deliver(job_id=job.pk, ctx=person.ctx, proof=PROOF)
        kpi_rollup(station_id=other_station.pk, day=D)
    assert rows(other_station, D) == []


def test_the_nightly_task_rolls_up_the_last_closed_days_of_stations_in_their_roll_up_hour(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    alice, person = courier
    job = out_for_delivery(station, supervisor, alice, person, promised_end=local(station, 12))
    with time_machine.travel(local(station, 11), tick=False):
        job_deliver(job_id=job.pk, ctx=person.ctx, proof=PROOF)
    night = local(station, 2, 10, day=D + timedelta(days=1))
    assert rollups_due(night + timedelta(hours=1)) == []  # 03:10: not the roll-up hour
    assert rollups_due(night) == [
        (station.pk, D),
        (station.pk, D - timedelta(days=1)),
        (station.pk, D - timedelta(days=2)),
    ]
    with time_machine.travel(night, tick=False):
        assert rollup_due() == 3
        assert rollup_due() == 3  # again: the same rows
    assert (Metric.ON_TIME.value, None, 1, 1) in rows(station, D)
    assert KpiDay.objects.filter(station=station).exclude(day=D).count() == 0


def test_a_window_the_customer_agreed_to_after_a_failed_attempt_judges_the_re_delivery(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:

    alice, person = courier
    job = out_for_delivery(station, supervisor, alice, person, promised_end=local(station, 12))
    with time_machine.travel(local(station, 10), tick=False):
        job_fail(job_id=job.pk, ctx=person.ctx, reason_code="not_home")
        text = {"zh": "今晚", "en": "tonight"}
        offer = negotiation_offer(
            job_id=job.pk,
            ctx=supervisor.ctx,
            trigger="supervisor",
            options=[
                OptionInput(key="keep", kind="keep", text=text),
                OptionInput(
                    key="eve",
                    kind="window",
                    text=text,
                    window_start=local(station, 18),
                    window_end=local(station, 20),
                ),
            ],
            default_key="keep",
            deadline=local(station, 17),
        )
    with time_machine.travel(local(station, 11), tick=False):
        negotiation_answer(
            negotiation_id=offer.pk, option_key="eve", channel="link", language="zh", ctx=Ctx.system()
        )
    with time_machine.travel(local(station, 18, 30), tick=False):
        job_start(job_id=job.pk, ctx=person.ctx)
    with time_machine.travel(local(station, 19), tick=False):
        job_deliver(job_id=job.pk, ctx=person.ctx, proof=PROOF)
    figures = kpi_day_figures(station, D)
    assert figures[(Metric.ON_TIME, None)] == (
        1,
        1,
    )  # 19:00 in the agreed 18:00–20:00; the promise said 12:00
    assert figures[(Metric.FIRST_ATTEMPT, alice.pk)] == (0, 1)
    assert figures[(Metric.ATTEMPTS, None)] == (2, 1)


def test_proof_and_consent_completeness_read_the_received_images_and_the_consent(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:

    alice, person = courier
    signed = out_for_delivery(station, supervisor, alice, person, promised_end=local(station, 12))
    locker = out_for_delivery(station, supervisor, alice, person, promised_end=local(station, 12))
    with time_machine.travel(local(station, 9), tick=False):
        Attachment.objects.create(
            sha256="a" * 64,
            size=10,
            content_type="image/png",
            received=10,
            complete=True,
            created_by=person.user,
            created_at=local(station, 9),
        )
        job_deliver(job_id=signed.pk, ctx=person.ctx, proof=PROOF)
        spot = ProofInput(
            method="locker",
            recipient_relation="locker",
            locker_compartment="A12",
            locker_code="123456",
            lat=30.29,
            lng=120.14,
            consent_name="王五",
            consent_relation="family",
            consent_call_record="call-7",
        )
        job_deliver(job_id=locker.pk, ctx=person.ctx, proof=spot)
    figures = kpi_day_figures(station, D)
    assert figures[(Metric.PROOF_COMPLETE, None)] == (
        2,
        2,
    )  # the signature's image arrived; a locker needs none
    assert figures[(Metric.CONSENT_COMPLETE, None)] == (1, 1)  # only the locker delivery needs consent


def test_the_roll_up_is_in_the_beat_schedule() -> None:
    from django.conf import settings

    from backend.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["kpis-rollup-due"]
    assert entry["task"] == "kpis.rollup_due" and entry["schedule"] == 3600.0
    app.loader.import_default_modules()
    assert {"kpis.rollup_due", "kpis.rollup_day"} <= set(app.tasks)
