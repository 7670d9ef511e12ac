"""The board: every lane of a station's day, read in a fixed number of queries whatever its size.

Five queries, always: the feed head (the page's websocket replays from it, so nothing committed
after the snapshot is missed), the couriers with their day's counters and last signs of life, every
job on the board as a light row (its place, its stop, its version: the map and the selection need
them all), the first page of each lane's cards with their shipments, and the open at-risk alerts.
A station's day is 10,000 jobs: each lane renders only its first ``LANE_PAGE`` cards (the rest
come a page at a time, ``lane_page``), and the map draws every stop from the light rows. Lanes and
cards are shaped here, in Python, so templates only print.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from backend.console.board import HELD, LANE_PAGE, MORE_PAGE, UNASSIGNED, Board, Card, Lane, lane_key
from backend.console.labels import label
from backend.couriers.models import Courier, DutyStatus, Station
from backend.couriers.selectors import station_today
from backend.dispatch.models import AlertKind, DispatchAlert
from backend.locations.models import CourierLocation
from backend.realtime.selectors import feed_head
from backend.shipments.models import Job
from backend.shipments.states import HandlingFlag, JobStatus, ShipmentStatus
from backend.sync.models import DeviceState
from parcelkit.rules.privacy import Surface, mask_name, phone_for

# A courier not heard from (location ping or sync push) for this long is shown offline.
OFFLINE_AFTER = timedelta(seconds=60)
ON_HAND = (JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.STARTED, JobStatus.ARRIVED)
# Failed jobs stay on their courier's lane until a supervisor decides what happens next.
ON_BOARD = (JobStatus.PENDING, *ON_HAND, JobStatus.FAILED)


def _weight() -> Coalesce:
    return Coalesce(
        "jobs__shipment__measured_weight_g",
        "jobs__shipment__declared_weight_g",
        Value(0),
        output_field=IntegerField(),
    )


def _couriers(station_id: int, day: date, only: Collection[int] | None = None) -> list[Courier]:
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
    couriers = Courier.objects.filter(station_id=station_id)
    if only is not None:
        couriers = couriers.filter(pk__in=list(only))
    return list(
        couriers.annotate(
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


def lane_of_row(
    shipment_status: str, status: str, service_date: date, courier_id: int | None, day: date
) -> str:
    if shipment_status == ShipmentStatus.HELD and status in ON_BOARD:
        return HELD
    if service_date != day or status not in ON_BOARD:
        return ""
    if courier_id is None:
        return UNASSIGNED
    return lane_key(courier_id)


def _lane_of(job: Job, day: date) -> str:
    return lane_of_row(job.shipment.status, job.status, job.service_date, job.courier_id, day)


def _hm(at: datetime | None, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%H:%M") if at is not None else ""


def _card(job: Job, day: date, at_risk: bool, tz: tzinfo) -> Card:
    s = job.shipment
    handling = set(s.handling or [])
    located = job.lat is not None and job.lng is not None
    window = job.window_start is not None or job.window_end is not None
    return Card(
        job_id=job.pk,
        version=job.version,
        kind=job.kind,
        status=job.status,
        status_label=label(JobStatus, job.status),
        tracking_no=s.tracking_no,
        recipient=f"{mask_name(s.recipient_name)} {phone_for(Surface.STAFF, s.recipient_phone)}".strip(),
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
        window_text=f"{_hm(job.window_start, tz)}–{_hm(job.window_end, tz)}" if window else "",
        eta_text=_hm(job.eta, tz),
        lat_text=f"{job.lat:.6f}" if located else "",
        lng_text=f"{job.lng:.6f}" if located else "",
    )


def _on_board(day: date) -> Q:
    return Q(service_date=day, status__in=ON_BOARD) | Q(
        shipment__status=ShipmentStatus.HELD, status__in=ON_BOARD
    )


LIGHT = (
    *("pk", "shipment__status", "status", "service_date", "courier_id", "planned_seq", "lat", "lng"),
    *("version", "shipment__tracking_no"),
)
Light = tuple[int, str, str, date, int | None, int | None, float | None, float | None, int, str]


def light_rows(station_id: int, day: date, lane: str | None = None) -> list[Light]:
    """Every job on the board (or in one lane) as a light row, in each lane's order."""
    qs = Job.objects.filter(station_id=station_id).filter(_on_board(day))
    if lane == HELD:
        qs = qs.filter(shipment__status=ShipmentStatus.HELD)
    elif lane is not None:
        qs = qs.exclude(shipment__status=ShipmentStatus.HELD).filter(service_date=day)
        courier = None if lane == UNASSIGNED else int(lane.removeprefix("courier-"))
        qs = qs.filter(courier__isnull=True) if courier is None else qs.filter(courier_id=courier)
    return list(qs.order_by(F("planned_seq").asc(nulls_last=True), "pk").values_list(*LIGHT))


def _full(station_id: int, job_ids: Collection[int]) -> list[Job]:
    qs = Job.objects.filter(station_id=station_id, pk__in=list(job_ids)).select_related("shipment")
    return list(qs.order_by(F("planned_seq").asc(nulls_last=True), "pk"))


def _deg(value: float | None) -> float | None:
    """Six decimals (0.1 m): 10,000 stops are written into the page, each digit costs 10 kB."""
    return None if value is None else round(value, 6)


def _stop(job: Job, day: date) -> tuple[int, str, int | None, float | None, float | None, int, str]:
    return (
        job.pk,
        _lane_of(job, day),
        job.planned_seq,
        job.lat,
        job.lng,
        job.version,
        job.shipment.tracking_no,
    )


def _risky(station_id: int) -> set[int]:
    alerts = DispatchAlert.objects.filter(
        station_id=station_id, kind=AlertKind.AT_RISK, resolved_at__isnull=True
    )
    return set(alerts.values_list("job_id", flat=True))


def station_board(
    *,
    station: Station,
    now: datetime,
    job_ids: Collection[int] | None = None,
    lane_page: int = LANE_PAGE,
    lanes: Collection[str] | None = None,
    cards_of: Collection[int] | None = None,
) -> Board:
    """The board of ``station`` for its local day at ``now``.

    Each lane holds its first ``lane_page`` cards and counts all of them (``total``); ``stops`` has
    every job on the board. With ``job_ids`` only those jobs' cards (and stops) are read, whatever
    their state (a card whose ``lane`` is "" has left the board), for the page's live refresh; the
    lanes' counters are always whole. A refresh may name the ``lanes`` whose heads it wants (the
    others are not read: ``whole`` is False) and the jobs among ``job_ids`` that get a card
    (``cards_of``; the others have their stop only).
    """
    day = station_today(station, now)
    cursor = feed_head()  # before the reads: a change after it is replayed by the page's socket
    wanted = (
        None
        if lanes is None
        else [int(k.removeprefix("courier-")) for k in lanes if k.startswith("courier-")]
    )
    couriers = _couriers(station.pk, day, wanted)
    totals: dict[str, int] = {}
    if job_ids is None:
        light = light_rows(station.pk, day)
        page: dict[str, list[int]] = {}
        for row in light:
            key = lane_of_row(row[1], row[2], row[3], row[4], day)
            totals[key] = totals.get(key, 0) + 1
            if len(page.setdefault(key, [])) < lane_page:
                page[key].append(row[0])
        jobs = _full(station.pk, [pk for ids in page.values() for pk in ids])
        stops = [
            (r[0], lane_of_row(r[1], r[2], r[3], r[4], day), r[5], _deg(r[6]), _deg(r[7]), r[8], r[9])
            for r in light
        ]
    else:
        if cards_of is None:
            jobs = _full(station.pk, job_ids)
            stops = [_stop(job, day) for job in jobs]
        else:  # most of a big move's jobs get no card: their light rows are enough
            jobs = _full(station.pk, set(job_ids) & set(cards_of)) if cards_of else []
            light = list(Job.objects.filter(station_id=station.pk, pk__in=list(job_ids)).values_list(*LIGHT))
            stops = [
                (r[0], lane_of_row(r[1], r[2], r[3], r[4], day), r[5], r[6], r[7], r[8], r[9]) for r in light
            ]
        if lanes is None or UNASSIGNED in lanes or HELD in lanes:
            totals = _queue_totals(station.pk, day)
    risky = _risky(station.pk)
    queues = [
        Lane(key=UNASSIGNED, title="unassigned", total=totals.get(UNASSIGNED, 0)),
        Lane(key=HELD, title="held", total=totals.get(HELD, 0)),
    ]
    board_lanes = [q for q in queues if lanes is None or q.key in lanes]
    for c in couriers:
        lane = _courier_lane(c, now)
        lane.total = totals.get(lane.key, lane.open_count + lane.failed_count)
        board_lanes.append(lane)
    by_key = {lane.key: lane for lane in board_lanes}
    tz = ZoneInfo(station.time_zone)
    removed: list[Card] = []
    for job in jobs:
        if cards_of is not None and job.pk not in cards_of:
            continue
        card = _card(job, day, job.pk in risky, tz)
        target = by_key.get(card.lane)
        (target.cards if target is not None else removed).append(card)
    if removed:
        board_lanes.append(Lane(key="", title="", cards=removed))
    return Board(
        station=station,
        day=day,
        now=now,
        cursor=cursor,
        lanes=board_lanes,
        stops=stops,
        whole=lanes is None,
    )


def _queue_totals(station_id: int, day: date) -> dict[str, int]:
    """The unassigned and held lanes' sizes, in one query (a refresh reads no light rows)."""
    held = Q(shipment__status=ShipmentStatus.HELD)
    counts = (
        Job.objects.filter(station_id=station_id)
        .filter(_on_board(day))
        .aggregate(
            held=Count("pk", filter=held),
            unassigned=Count("pk", filter=~held & Q(courier__isnull=True, service_date=day)),
        )
    )
    return {HELD: counts["held"], UNASSIGNED: counts["unassigned"]}


def _courier_lane(c: Courier, now: datetime) -> Lane:
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
    return lane


def lane_page(
    *, station: Station, now: datetime, lane: str, offset: int, limit: int = MORE_PAGE
) -> list[Card]:
    """One lane's cards from ``offset`` on (its "more" button), in two queries."""
    day = station_today(station, now)
    ids = [row[0] for row in light_rows(station.pk, day, lane)[offset : offset + limit]]
    risky = _risky(station.pk) if ids else set()
    tz = ZoneInfo(station.time_zone)
    return [_card(job, day, job.pk in risky, tz) for job in _full(station.pk, ids)]


def stations_to_pick(station_ids: frozenset[int] | None) -> list[Station]:
    """The stations a caller picks from on the start page: every one (an admin: None), or theirs
    (a station manager who runs several)."""
    stations = Station.objects.order_by("code")
    return list(stations if station_ids is None else stations.filter(pk__in=station_ids))
