"""The board: every lane of a station's day, read in a fixed number of queries whatever its size.

Four queries, always: the feed head (the page's websocket replays from it, so nothing committed
after the snapshot is missed), the couriers with their day's counters and last signs of life, the
jobs on the board with their shipments, and the open at-risk alerts. Lanes and cards are shaped
here, in Python, so templates only print.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from backend.couriers.models import Courier, DutyStatus, Station
from backend.couriers.selectors import station_today
from backend.dispatch.models import AlertKind, DispatchAlert
from backend.locations.models import CourierLocation
from backend.realtime.selectors import feed_head
from backend.shipments.models import Job
from backend.shipments.states import HandlingFlag, JobStatus, ShipmentStatus
from backend.sync.models import DeviceState
from parcelkit.rules.privacy import mask_name, mask_phone

# A courier not heard from (location ping or sync push) for this long is shown offline.
OFFLINE_AFTER = timedelta(seconds=60)
ON_HAND = (JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.STARTED, JobStatus.ARRIVED)
# Failed jobs stay on their courier's lane until a supervisor decides what happens next.
ON_BOARD = (JobStatus.PENDING, *ON_HAND, JobStatus.FAILED)
UNASSIGNED, HELD = "unassigned", "held"


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
    cards: list[Card] = field(default_factory=list)

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

    def lane(self, key: str) -> Lane | None:
        return next((lane for lane in self.lanes if lane.key == key), None)


def _weight() -> Coalesce:
    return Coalesce(
        "jobs__shipment__measured_weight_g",
        "jobs__shipment__declared_weight_g",
        Value(0),
        output_field=IntegerField(),
    )


def _couriers(station_id: int, day: date) -> list[Courier]:
    on_day = Q(jobs__service_date=day)
    on_hand = on_day & Q(jobs__status__in=ON_HAND)
    location = CourierLocation.objects.filter(courier_id=OuterRef("pk")).order_by("-received_at")
    synced = DeviceState.objects.filter(user_id=OuterRef("user_id"), last_push_at__isnull=False)
    # The stop under way (on the way, arrived) first, else the first open one in planned order.
    next_stop = (
        Job.objects.filter(courier_id=OuterRef("pk"), service_date=day, status__in=ON_HAND)
        .annotate(moving=Case(When(status__in=(JobStatus.STARTED, JobStatus.ARRIVED), then=0), default=1))
        .order_by("moving", F("planned_seq").asc(nulls_last=True), "pk")
    )
    return list(
        Courier.objects.filter(station_id=station_id)
        .annotate(
            open_count=Count("jobs", filter=on_hand),
            weight_g=Coalesce(Sum(_weight(), filter=on_hand), Value(0)),
            done_count=Count("jobs", filter=on_day & Q(jobs__status=JobStatus.COMPLETED)),
            failed_count=Count("jobs", filter=on_day & Q(jobs__status=JobStatus.FAILED)),
            day_total=Count("jobs", filter=on_day & ~Q(jobs__status=JobStatus.CANCELLED)),
            last_lat=Subquery(location.values("lat")[:1]),
            last_lng=Subquery(location.values("lng")[:1]),
            last_location_at=Subquery(location.values("received_at")[:1]),
            last_sync_at=Subquery(synced.order_by("-last_push_at").values("last_push_at")[:1]),
            next_stop=Subquery(next_stop.values("address")[:1]),
            next_eta=Subquery(next_stop.values("eta")[:1]),
            next_status=Subquery(next_stop.values("status")[:1]),
        )
        .filter(Q(duty_status=DutyStatus.ON_DUTY) | Q(open_count__gt=0) | Q(failed_count__gt=0))
        .order_by("employee_no")
    )


def _lane_of(job: Job, day: date) -> str:
    if job.shipment.status == ShipmentStatus.HELD and job.status in ON_BOARD:
        return HELD
    if job.service_date != day or job.status not in ON_BOARD:
        return ""
    if job.courier_id is None:
        return UNASSIGNED
    return lane_key(job.courier_id)


def _card(job: Job, day: date, at_risk: bool) -> Card:
    s = job.shipment
    handling = set(s.handling or [])
    return Card(
        job_id=job.pk,
        version=job.version,
        kind=job.kind,
        status=job.status,
        status_label=JobStatus(job.status).label,
        tracking_no=s.tracking_no,
        recipient=f"{mask_name(s.recipient_name)} {mask_phone(s.recipient_phone)}".strip(),
        address=job.address,
        window_start=job.window_start,
        window_end=job.window_end,
        eta=job.eta,
        planned_seq=job.planned_seq,
        weight_g=s.measured_weight_g or s.declared_weight_g or 0,
        cod=s.cod_amount_fen > 0,
        fragile=HandlingFlag.FRAGILE in handling,
        id_check=HandlingFlag.ID_CHECK in handling,
        at_risk=at_risk,
        lane=_lane_of(job, day),
        lat=job.lat,
        lng=job.lng,
    )


def _jobs(station_id: int, day: date, job_ids: Collection[int] | None) -> list[Job]:
    qs = Job.objects.filter(station_id=station_id).select_related("shipment")
    if job_ids is not None:
        qs = qs.filter(pk__in=list(job_ids))
    else:
        qs = qs.filter(
            Q(service_date=day, status__in=ON_BOARD)
            | Q(shipment__status=ShipmentStatus.HELD, status__in=ON_BOARD)
        )
    return list(qs.order_by("planned_seq", "pk"))


def station_board(*, station: Station, now: datetime, job_ids: Collection[int] | None = None) -> Board:
    """The board of ``station`` for its local day at ``now``.

    With ``job_ids`` only those jobs' cards are read (whatever their state: a card whose ``lane``
    is "" has left the board), for the page's live refresh; the lanes' counters are always whole.
    """
    day = station_today(station, now)
    cursor = feed_head()  # before the reads: a change after it is replayed by the page's socket
    couriers = _couriers(station.pk, day)
    jobs = _jobs(station.pk, day, job_ids)
    risky = set(
        DispatchAlert.objects.filter(
            station_id=station.pk, kind=AlertKind.AT_RISK, resolved_at__isnull=True
        ).values_list("job_id", flat=True)
    )
    lanes = [Lane(key=UNASSIGNED, title="unassigned"), Lane(key=HELD, title="held")]
    for c in couriers:
        lane = Lane(
            key=lane_key(c.pk),
            title=c.name,
            courier_id=c.pk,
            employee_no=c.employee_no,
            duty_status=c.duty_status,
            open_count=c.open_count,  # type: ignore[attr-defined]
            weight_g=c.weight_g,  # type: ignore[attr-defined]
            capacity_g=c.capacity_g,
            done_count=c.done_count,  # type: ignore[attr-defined]
            failed_count=c.failed_count,  # type: ignore[attr-defined]
            day_total=c.day_total,  # type: ignore[attr-defined]
            last_lat=c.last_lat,  # type: ignore[attr-defined]
            last_lng=c.last_lng,  # type: ignore[attr-defined]
            last_location_at=c.last_location_at,  # type: ignore[attr-defined]
            last_sync_at=c.last_sync_at,  # type: ignore[attr-defined]
            next_stop=c.next_stop or "",  # type: ignore[attr-defined]
            next_eta=c.next_eta,  # type: ignore[attr-defined]
        )
        if lane.next_eta is not None and c.next_status != JobStatus.ARRIVED:  # type: ignore[attr-defined]
            lane.drift_min = max(0, int((now - lane.next_eta).total_seconds() // 60))
        seen = lane.last_seen_at
        lane.offline = seen is None or now - seen > OFFLINE_AFTER
        lanes.append(lane)
    by_key = {lane.key: lane for lane in lanes}
    removed: list[Card] = []
    for job in jobs:
        card = _card(job, day, job.pk in risky)
        target = by_key.get(card.lane)
        (target.cards if target is not None else removed).append(card)
    if removed:
        lanes.append(Lane(key="", title="", cards=removed))
    return Board(station=station, day=day, now=now, cursor=cursor, lanes=lanes)


def stations_for_admin() -> list[Station]:
    """Every station, for an admin to pick one."""
    return list(Station.objects.order_by("code"))
