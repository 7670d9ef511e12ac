"""The board's answer to a move (a reassignment, or jobs put back in the queue): what the page shows
of the moved jobs now, read after the service committed.

The page applies the answer at once instead of fetching the moved cards again. It is the live
refresh's partial (``_changes.html``) cut to what the move changed, because a move of 200 jobs
would otherwise cost the whole station's lane counters (the couriers' aggregate over the day's
jobs) and 200 cards rendered, of which the page shows a dozen:

- the stops (model rows) of every moved job;
- the heads of the lanes the jobs left and of the one they joined, no other;
- cards only for the moved jobs that land among the cards the page renders of the receiving lane
  (its first ``shown``; all of them when the page shows the whole lane). The page removes the
  cards of moved jobs that get none (they are further down the receiving lane now).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from backend.console.board import Board
from backend.console.selectors import lane_of_row, light_rows, station_board
from backend.couriers.models import Station
from backend.couriers.selectors import station_today
from backend.shipments.models import Job


def lanes_of(*, station: Station, now: datetime, job_ids: Collection[int]) -> set[str]:
    """The lanes these jobs are in now (read before a move: the lanes it will take them from)."""
    day = station_today(station, now)
    rows = Job.objects.filter(station_id=station.pk, pk__in=list(job_ids)).values_list(
        "shipment__status", "status", "service_date", "courier_id"
    )
    return {lane for row in rows if (lane := lane_of_row(*row, day))}


def move_board(
    *, station: Station, now: datetime, job_ids: list[int], to: str, left: Collection[str], shown: int | None
) -> Board:
    """The partial for a move of ``job_ids`` into lane ``to`` from the lanes ``left``; ``shown`` is
    how many cards the page renders of ``to`` (None: all of them)."""
    cards_of: Collection[int] | None = None
    if shown is not None:  # the receiving lane's first ``shown`` in the board's order, after the move
        first = light_rows(station.pk, station_today(station, now), to)[:shown]
        cards_of = set(job_ids) & {row[0] for row in first}
    return station_board(station=station, now=now, job_ids=job_ids, lanes={to, *left}, cards_of=cards_of)
