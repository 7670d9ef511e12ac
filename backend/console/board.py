"""The board's shapes: lanes and their cards, as the console's templates print them.

``selectors`` fills them from the database (a fixed number of queries); templates only print them,
so every value a card shows is computed here or there, never by a template filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from backend.couriers.models import Station

UNASSIGNED, HELD = "unassigned", "held"
# Cards rendered per lane on the board page: a screen shows about ten of a lane; 50 couriers with
# 200 jobs each would be a 6 MB page that no browser lays out in time (docs/console.md, the bench).
LANE_PAGE = 12
# Cards per "more" page of one lane.
MORE_PAGE = 50


def lane_key(courier_id: int) -> str:
    return f"courier-{courier_id}"


@dataclass(frozen=True)
class Card:
    job_id: int
    version: int
    kind: str
    status: str
    status_label: str
    tracking_no: str
    recipient: str  # masked name and phone: the board is on a wall screen
    address: str
    window_start: datetime | None
    window_end: datetime | None
    eta: datetime | None
    planned_seq: int | None
    weight_g: int
    cod: bool
    fragile: bool
    id_check: bool
    at_risk: bool
    lane: str  # "" when the job has left the board (completed, cancelled, another day)
    lat: float | None = None  # the stop on the map (the same row: the map costs no query)
    lng: float | None = None
    # Printed here, not by template filters: 600 cards on the board page, and a template filter
    # per field per card was most of the page's server time (bench/console.py).
    window_text: str = ""  # "HH:MM–HH:MM" at the station
    eta_text: str = ""  # "HH:MM" at the station
    lat_text: str = ""
    lng_text: str = ""


@dataclass
class Lane:
    key: str
    title: str
    courier_id: int | None = None
    employee_no: str = ""
    duty_status: str = ""
    open_count: int = 0
    weight_g: int = 0
    capacity_g: int = 0
    done_count: int = 0
    failed_count: int = 0
    day_total: int = 0
    next_stop: str = ""
    last_lat: float | None = None
    last_lng: float | None = None
    last_location_at: datetime | None = None
    last_sync_at: datetime | None = None
    offline: bool = False
    next_eta: datetime | None = None
    # Minutes the next stop is past its planned ETA with the courier not there yet (0: on plan).
    drift_min: int | None = None
    cards: list[Card] = field(default_factory=list)  # the cards rendered: the lane's first page
    total: int = 0  # every card of the lane, rendered or not

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.cards))

    @property
    def last_seen_at(self) -> datetime | None:
        seen = [t for t in (self.last_location_at, self.last_sync_at) if t is not None]
        return max(seen) if seen else None

    @property
    def weight_pct(self) -> int:
        return min(100, round(100 * self.weight_g / self.capacity_g)) if self.capacity_g else 0

    @property
    def progress_pct(self) -> int:
        return round(100 * self.done_count / self.day_total) if self.day_total else 0


@dataclass(frozen=True)
class Board:
    station: Station
    day: date
    now: datetime
    cursor: int
    lanes: list[Lane]
    # Every job on the board (or, for a refresh, the jobs asked for) as the map and the selection
    # need it: [job id, lane, planned place, lat, lng, version, tracking number].
    stops: list[tuple[int, str, int | None, float | None, float | None, int, str]] = field(
        default_factory=list
    )
    # Every lane of the board is in ``lanes`` (a lane missing has left it); False when only some
    # lanes' heads were read (a move's answer: the lanes it touched).
    whole: bool = True

    def lane(self, key: str) -> Lane | None:
        return next((lane for lane in self.lanes if lane.key == key), None)
