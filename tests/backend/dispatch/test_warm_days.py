"""Warm courier days: a kept day is used only while its rows are exactly as when read, and the
days (and so the auto-assignment decisions) are the same as read afresh, before a shift and live."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import numpy as np
import pytest
from django.db import transaction

from backend.couriers.models import Courier, Station
from backend.dispatch.planning.insertion import RouteState, route_state
from backend.dispatch.planning.schedule import onboard_load
from backend.dispatch.services import auto_assign, warm_days
from backend.dispatch.services.assignment import choose, on_duty_couriers, territory_of
from backend.dispatch.services.planning import load_day, write_order, write_route
from backend.dispatch.services.routes import MATRIX, CourierDay, DayClock, build_days, job_stop
from backend.dispatch.services.warm_days import JOB_FIELDS, SHIPMENT_FIELDS
from backend.shipments.models import Job
from backend.shipments.services import job_accept, job_complete_pickup, job_start, job_unassign
from backend.shipments.services.arrangement import job_set_arrangement
from backend.shipments.services.completion import PickupInput
from tests.backend.dispatch.factories import DAY, at, given_to, job_at, place, standing_at
from tests.fixtures.people import Person, make_courier

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

BEFORE_SHIFT, LIVE = at(7, 30), at(10, 0)
WEIGHED = PickupInput(
    measured_weight_g=9_000,
    weight_source="manual",
    manual_reason="scale battery flat",
    length_mm=600,
    width_mm=400,
    height_mm=400,
    prohibited_items_absent=True,
    price_fen=1800,
    payment_method="wechat",
)


@pytest.fixture(autouse=True)
def _cold() -> None:
    warm_days.clear()


def _job(j: Job) -> tuple[Any, ...]:
    own = tuple(
        getattr(j, f if f not in ("station", "courier", "shipment") else f"{f}_id") for f in JOB_FIELDS
    )
    return own + tuple(getattr(j.shipment, f) for f in SHIPMENT_FIELDS)


def seen(day: CourierDay) -> tuple[Any, ...]:
    """Everything a day holds, the jobs by their columns (a Job compares by id only)."""
    return (
        day.courier.pk,
        day.clock,
        day.vehicle,
        day.stops,
        day.order,
        day.new,
        day.late,
        {s: _job(j) for s, j in day.jobs.items()},
        [_job(j) for j in day.unlocated],
    )


def station_day(
    station: Station, supervisor: Person, couriers: int = 3, per: int = 12
) -> list[tuple[Courier, Person]]:
    """Routes of ``per`` jobs (a pickup first, then deliveries, one in four with a two-hour
    window), planned in the order given."""
    rng = random.Random(couriers * 100 + per)
    people = [make_courier(station) for _ in range(couriers)]
    for c, _ in people:
        for i in range(per):
            window = None
            if rng.random() < 0.25:
                h = rng.randrange(10, 18)
                window = (at(h), at(h + 2))
            east, north = rng.uniform(-3, 3), rng.uniform(-3, 3)
            kind = "pickup" if i == 0 else "delivery"
            given_to(
                job_at(station, supervisor.ctx, east, north, kind=kind, window=window), c, supervisor.ctx
            )
        plan(c, supervisor, BEFORE_SHIFT)
    return people


def plan(courier: Courier, supervisor: Person, now: datetime, reverse: bool = False) -> None:
    cday = load_day(Courier.objects.select_related("station").get(pk=courier.pk), DAY, now)
    with transaction.atomic():
        write_order(cday, cday.remaining[::-1] if reverse else cday.remaining, supervisor.ctx)


def both(station: Station, now: datetime) -> tuple[list[CourierDay], list[CourierDay]]:
    couriers = on_duty_couriers(station.pk)
    return warm_days.warm_days(couriers, station, DAY, now), build_days(couriers, station, DAY, now)


@pytest.mark.parametrize("now", [BEFORE_SHIFT, LIVE], ids=["before_shift", "live"])
def test_a_warm_day_equals_a_fresh_read_and_is_read_once(
    station: Station, supervisor: Person, now: datetime
) -> None:
    station_day(station, supervisor)
    first, fresh = both(station, now)
    assert [seen(d) for d in first] == [seen(d) for d in fresh]
    assert warm_days.stats == {"hits": 0, "misses": 3}

    again, fresh = both(station, now)
    assert warm_days.stats == {"hits": 3, "misses": 3}
    assert [seen(d) for d in again] == [seen(d) for d in fresh]
    assert again[0].jobs is not first[0].jobs and again[0].stops is not first[0].stops  # each call its own


CHANGES = [
    "job assigned",
    "job taken away",
    "re-planned",
    "accepted",
    "arrived",
    "pickup completed with its measured weight",
    "window agreed with the customer",
    "redirected to another address",
]


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_to_a_route_is_read_before_the_day_is_used(
    station: Station, supervisor: Person, change: str
) -> None:
    (a, courier_ctx), _, _ = station_day(station, supervisor)
    both(station, LIVE)
    mine = list(Job.objects.filter(courier=a).order_by("planned_seq"))
    assert mine[0].kind == "pickup"  # a courier reaches a pickup without a station scan
    me = courier_ctx.ctx
    if change == "job assigned":
        given_to(job_at(station, supervisor.ctx, 1.0), a, supervisor.ctx)
    elif change == "job taken away":
        job_unassign(job_id=mine[3].pk, ctx=supervisor.ctx, reason="moved")
    elif change == "re-planned":
        plan(a, supervisor, LIVE, reverse=True)
    elif change == "accepted":
        job_accept(job_id=mine[0].pk, ctx=me)
    elif change == "arrived":
        standing_at(mine[0], me)
    elif change.startswith("pickup completed"):
        job_start(job_id=mine[0].pk, ctx=me)
        job_complete_pickup(job_id=mine[0].pk, ctx=me, data=WEIGHED)
    elif change.startswith("window"):
        job_set_arrangement(
            job_id=mine[2].pk,
            ctx=me,
            next_step={"kind": "new_window"},
            window_start=at(11),
            window_end=at(12),
        )
    else:
        lat, lng = place(station, 2.0, 2.0)
        job_set_arrangement(
            job_id=mine[2].pk,
            ctx=me,
            next_step={"kind": "redirect"},
            address="杭州市西湖区文一路99号",
            lat=lat,
            lng=lng,
        )

    warm, fresh = both(station, LIVE)

    assert [seen(d) for d in warm] == [seen(d) for d in fresh]
    assert warm_days.stats == {"hits": 2, "misses": 3 + 1}  # a's day read again, the others kept


@pytest.mark.parametrize("now", [BEFORE_SHIFT, LIVE], ids=["before_shift", "live"])
def test_auto_assignment_decides_the_same_on_warm_days_as_on_fresh_reads(
    station: Station, supervisor: Person, now: datetime
) -> None:
    station_day(station, supervisor, couriers=4, per=15)
    rng = random.Random(7)
    pending = []
    for i in range(12):
        window = (at(12), at(14)) if i % 5 == 0 else None
        pending.append(job_at(station, supervisor.ctx, rng.uniform(-4, 4), rng.uniform(-4, 4), window=window))
    clock = DayClock.of(station, DAY)
    decided = []
    for job in pending:
        job = Job.objects.select_related("shipment").get(pk=job.pk)
        warm, fresh = both(station, now)
        assert [seen(d) for d in warm] == [seen(d) for d in fresh]
        stop, zone = job_stop(job, clock), territory_of(job)
        expected = choose(stop, zone, {d.courier.pk: d for d in fresh})
        assert choose(stop, zone, {d.courier.pk: d for d in warm}) == expected

        decision = auto_assign(job_id=job.pk, now=now)

        expected_courier = expected.courier.pk if expected.courier else None
        assert (decision.courier_id, decision.rule, decision.reason) == (
            expected_courier,
            expected.rule,
            expected.reason,
        )
        decided.append(decision.courier_id)
    assert len({c for c in decided if c is not None}) > 1  # the routes really competed
    assert warm_days.stats["hits"] > warm_days.stats["misses"]


def _arrays(state: RouteState) -> dict[str, Any]:
    return {
        k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in vars(state).items() if k != "points"
    } | {"points": tuple(state.points)}


@pytest.mark.parametrize("now", [BEFORE_SHIFT, LIVE], ids=["before_shift", "live"])
def test_the_insertion_states_of_warm_days_are_route_state_exactly(
    station: Station, supervisor: Person, now: datetime
) -> None:
    (a, _), _, _ = station_day(station, supervisor)
    # A window already missed at 10:00: lifted on the live day, so its state differs from the plan's.
    given_to(job_at(station, supervisor.ctx, 2.0, window=(at(8), at(9))), a, supervisor.ctx)
    plan(a, supervisor, BEFORE_SHIFT)
    warm, _ = both(station, now)
    warm, _ = both(station, now)  # kept rows this time
    assert any(d.late for d in warm) == (now == LIVE)
    for day in warm:
        stops = [day.stops[s] for s in day.remaining]
        expected = route_state(day.vehicle, stops, MATRIX, onboard_load(day.vehicle, day.stops))
        assert _arrays(warm_days.route_state_of(day)) == _arrays(expected)


def test_the_route_an_assignment_wrote_is_kept_as_written_not_read_again(
    station: Station, supervisor: Person, django_capture_on_commit_callbacks: Any
) -> None:
    station_day(station, supervisor)
    job = job_at(station, supervisor.ctx, 1.0, 1.0)
    warm_days.warm_days(on_duty_couriers(station.pk), station, DAY, LIVE)

    with django_capture_on_commit_callbacks(execute=True):  # kept at commit
        decision = auto_assign(job_id=job.pk, now=LIVE)

    assert decision.courier_id is not None
    warm, fresh = both(station, LIVE)
    assert warm_days.stats == {"hits": 3 + 3, "misses": 3}  # the receiving courier's day: kept, not read
    assert [seen(d) for d in warm] == [seen(d) for d in fresh]
    assert str(job.pk) in next(d for d in warm if d.courier.pk == decision.courier_id).remaining
    # kept as a read keeps rows: only the columns a day is read with, the rest deferred
    shapes = {
        (frozenset(j.get_deferred_fields()), frozenset(j.shipment.get_deferred_fields()))
        for d in warm
        for j in d.jobs.values()
    }
    assert len(shapes) == 1 and all(shapes.pop())


def test_a_route_that_changed_under_its_writer_is_not_kept(station: Station, supervisor: Person) -> None:
    (a, courier), _, _ = station_day(station, supervisor)
    day = next(
        d for d in warm_days.warm_days(on_duty_couriers(station.pk), station, DAY, LIVE) if d.courier == a
    )
    last = Job.objects.filter(courier=a).order_by("-planned_seq").first()
    assert last is not None
    job_accept(job_id=last.pk, ctx=courier.ctx)  # a row of the day moves on while its writer computes

    with transaction.atomic():
        written = write_route(day, day.remaining, supervisor.ctx)
        assert not warm_days.keep_written(day, written)

    warm, fresh = both(station, LIVE)
    assert warm_days.stats == {"hits": 2, "misses": 3 + 1}
    assert [seen(d) for d in warm] == [seen(d) for d in fresh]


def test_a_written_route_is_kept_only_once_its_transaction_commits(
    station: Station, supervisor: Person, django_capture_on_commit_callbacks: Any
) -> None:
    (a, _), _, _ = station_day(station, supervisor)
    plan(a, supervisor, BEFORE_SHIFT, reverse=True)  # so that writing the route in order writes it
    day = next(
        d for d in warm_days.warm_days(on_duty_couriers(station.pk), station, DAY, LIVE) if d.courier == a
    )

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        written = write_route(day, sorted(day.remaining, key=int), supervisor.ctx)
        assert written and warm_days.keep_written(day, written)
        raise RuntimeError("rolled back")

    warm, fresh = both(station, LIVE)
    assert warm_days.stats == {"hits": 3, "misses": 3}  # a's day as read before: still its rows
    assert [seen(d) for d in warm] == [seen(d) for d in fresh]


def test_an_insertion_state_is_shared_within_a_second_and_rebuilt_for_the_next(
    station: Station, supervisor: Person
) -> None:
    station_day(station, supervisor)
    first = warm_days.warm_days(on_duty_couriers(station.pk), station, DAY, LIVE)
    again = warm_days.warm_days(on_duty_couriers(station.pk), station, DAY, LIVE.replace(microsecond=900_000))
    later = warm_days.warm_days(on_duty_couriers(station.pk), station, DAY, LIVE.replace(second=1))
    for a, b, c in zip(first, again, later, strict=True):
        state = warm_days.route_state_of(a)
        assert warm_days.route_state_of(b) is state  # the same second, the same vehicle
        moved = warm_days.route_state_of(c)
        assert moved is not state and moved.vehicle.start_time == state.vehicle.start_time + 1
        expected = route_state(
            c.vehicle, [c.stops[s] for s in c.remaining], MATRIX, onboard_load(c.vehicle, c.stops)
        )
        assert _arrays(moved) == _arrays(expected)
