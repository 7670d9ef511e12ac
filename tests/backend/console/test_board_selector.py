"""The board selector: lanes, cards and counters of a station's day, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from backend.console.board import HELD, LANE_PAGE, UNASSIGNED, lane_key
from backend.console.selectors import lane_page, station_board
from backend.couriers.models import Courier, Station
from backend.locations.services import location_record
from backend.shipments.services import job_assign, scan, shipment_transition
from tests.backend.console.conftest import NOW
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person, make_courier

pytestmark = pytest.mark.django_db


def test_lanes_hold_each_courier_s_jobs_the_queue_and_the_held_parcels(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    mine = make_job(
        station, supervisor.ctx, cod_amount_fen=5000, handling=["fragile", "id_check"], declared_weight_g=2500
    )
    job_assign(job_id=mine.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    queued = make_job(station, supervisor.ctx)
    held = make_job(station, supervisor.ctx)
    scan(tracking_no=held.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    shipment_transition(
        shipment_id=held.shipment_id, to="held", ctx=supervisor.ctx, reason="customer collects"
    )

    board = station_board(station=station, now=NOW)

    keys = [lane.key for lane in board.lanes]
    assert keys[:2] == [UNASSIGNED, HELD]
    assert set(keys[2:]) == {lane_key(courier[0].pk), lane_key(other_courier[0].pk)}
    lane = board.lane(lane_key(courier[0].pk))
    assert lane is not None
    assert [c.job_id for c in lane.cards] == [mine.pk]
    assert (lane.open_count, lane.weight_g, lane.capacity_g, lane.day_total) == (1, 2500, 300_000, 1)
    assert lane.next_stop == mine.address
    card = lane.cards[0]
    assert (card.cod, card.fragile, card.id_check, card.status) == (True, True, True, "assigned")
    assert card.recipient == "李* 139****5678"
    assert card.tracking_no == mine.shipment.tracking_no
    assert [c.job_id for c in board.lane(UNASSIGNED).cards] == [queued.pk]  # type: ignore[union-attr]
    assert [c.job_id for c in board.lane(HELD).cards] == [held.pk]  # type: ignore[union-attr]


def test_a_courier_heard_from_within_60_s_is_online_and_silent_ones_are_offline(
    station: Station, courier: tuple[Courier, Person], other_courier: tuple[Courier, Person]
) -> None:
    with time_machine.travel(NOW - timedelta(seconds=59), tick=False):
        location_record(
            ctx=courier[1].ctx, lat=30.28, lng=120.13, accuracy_m=5, recorded_at=NOW - timedelta(seconds=59)
        )
    board = station_board(station=station, now=NOW)
    fresh, silent = board.lane(lane_key(courier[0].pk)), board.lane(lane_key(other_courier[0].pk))
    assert fresh is not None and silent is not None
    assert (
        fresh.offline is False
        and fresh.last_lat == 30.28
        and fresh.last_location_at == NOW - timedelta(seconds=59)
    )
    assert silent.offline is True and silent.last_seen_at is None
    later = station_board(station=station, now=NOW + timedelta(seconds=2))
    assert later.lane(lane_key(courier[0].pk)).offline is True  # type: ignore[union-attr]


def test_an_off_duty_courier_without_jobs_has_no_lane(station: Station) -> None:
    off, _ = make_courier(station, on_duty=False)
    assert station_board(station=station, now=NOW).lane(lane_key(off.pk)) is None


def test_a_refresh_of_some_jobs_tells_which_left_the_board(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx)
    other_day = make_job(station, supervisor.ctx, service_date=NOW.date() + timedelta(days=1))
    board = station_board(station=station, now=NOW, job_ids=[job.pk, other_day.pk])
    lanes = {c.job_id: c.lane for lane in board.lanes for c in lane.cards}
    assert lanes == {job.pk: UNASSIGNED, other_day.pk: ""}


@pytest.mark.parametrize("n_jobs", [10, 200])
def test_the_board_takes_the_same_number_of_queries_whatever_its_size(
    n_jobs: int, station: Station, supervisor: Person, django_assert_num_queries: object
) -> None:
    couriers = [make_courier(station)[0] for _ in range(3)]
    for k in range(n_jobs):
        job = make_job(station, supervisor.ctx, handling=["fragile"])
        if k % 4:
            job_assign(job_id=job.pk, courier_id=couriers[k % 3].pk, ctx=supervisor.ctx)
    # Feed head, couriers, every job's light row, the lanes' first pages, the at-risk alerts.
    with django_assert_num_queries(5):  # type: ignore[operator]
        board = station_board(station=station, now=NOW)
    assert sum(lane.total for lane in board.lanes) == n_jobs
    assert len(board.stops) == n_jobs
    assert all(len(lane.cards) == min(lane.total, LANE_PAGE) for lane in board.lanes)
    # The live refresh of every job: feed head, couriers, the jobs, the queue's counts, the alerts.
    with django_assert_num_queries(5):  # type: ignore[operator]
        refresh = station_board(station=station, now=NOW, job_ids=[pk for pk, *_ in board.stops])
    assert sum(len(lane.cards) for lane in refresh.lanes) == n_jobs
    assert refresh.lane(UNASSIGNED).total == board.lane(UNASSIGNED).total  # type: ignore[union-attr]


def test_a_lane_s_next_pages_follow_its_first_in_planned_order(station: Station, supervisor: Person) -> None:
    jobs = [make_job(station, supervisor.ctx) for _ in range(LANE_PAGE + 3)]
    board = station_board(station=station, now=NOW)
    first = [c.job_id for c in board.lane(UNASSIGNED).cards]  # type: ignore[union-attr]
    assert board.lane(UNASSIGNED).more == 3  # type: ignore[union-attr]
    rest = [c.job_id for c in lane_page(station=station, now=NOW, lane=UNASSIGNED, offset=LANE_PAGE)]
    assert first + rest == [j.pk for j in jobs]
    assert lane_page(station=station, now=NOW, lane=UNASSIGNED, offset=len(jobs)) == []
