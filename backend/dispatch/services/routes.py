"""From database rows to the planning package's dataclasses (and back to datetimes).

A courier's day becomes one :class:`~backend.dispatch.planning.model.Vehicle` plus its stops:

* **Clock**: planning seconds count from local midnight of the service date at the station.
* **Depot**: the station. **Shift**: the courier's ``shift_start``/``shift_end``. **Capacity**:
  ``capacity_g``/``capacity_cm3``. **Speed**: per vehicle type (:data:`MATRIX`).
* **Stops**: one per located job (``lat``/``lng`` set); a job without coordinates cannot be routed
  and is listed apart (``unlocated``), kept at the end of the courier's list without an ETA.
  Weight: measured, else declared, else :data:`DEFAULT_WEIGHT_G` (1 kg). Volume: measured, else
  declared dimensions, else :data:`DEFAULT_VOLUME_CM3`. Service time per kind (:data:`SERVICE_S`).
* **Done**: completed, failed and arrived jobs are history (fixed; a done pickup stays on board).
  Remaining: assigned, accepted and started jobs, in ``planned_seq`` order; unplanned ones
  (``planned_seq`` null, e.g. just assigned) are *new* stops the re-plan inserts.
* **Live**: once ``now`` is past the shift start the courier starts from where they are: the job
  they are standing at (arrived), else a location ping of the last :data:`FRESH_PING_S`, else the
  last done stop, else the station. A remaining stop whose window can no longer be met even by
  driving straight there gets its window end lifted (it is reported ``late``): it will be served
  late, and without that one late stop every re-plan would see an infeasible order and reshuffle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection
from django.utils import timezone
from numpy.typing import NDArray

from backend.couriers.models import Courier, Station, VehicleType
from backend.dispatch.planning.insertion import RouteState
from backend.dispatch.planning.matrix import HaversineMatrix, IntMatrix, Point, PointArray
from backend.dispatch.planning.model import OPEN_END, Stop, Vehicle
from backend.dispatch.planning.schedule import leg_loads_of
from backend.locations.models import CourierLocation
from backend.shipments.models import Job
from backend.shipments.states import JobKind, JobStatus

DEFAULT_WEIGHT_G = 1_000
DEFAULT_VOLUME_CM3 = 6_000  # a 20 × 20 × 15 cm box, the commonest parcel size
SERVICE_S = {JobKind.DELIVERY: 180, JobKind.PICKUP: 300}  # door-to-door incl. parking, scan, proof
FRESH_PING_S = 15 * 60

PROFILE = {
    VehicleType.VAN: "van",
    VehicleType.E_TRICYCLE: "e-tricycle",
    VehicleType.E_BIKE: "e-bike",
    VehicleType.ON_FOOT: "on-foot",
}
MATRIX = HaversineMatrix(speeds_kmh={"van": 25.0, "e-tricycle": 15.0, "e-bike": 18.0, "on-foot": 5.0})

DONE = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.ARRIVED)
REMAINING = (JobStatus.ASSIGNED, JobStatus.ACCEPTED, JobStatus.STARTED)


@dataclass(frozen=True)
class DayClock:
    """Planning seconds ↔ aware datetimes for one station and service date."""

    origin: datetime

    @classmethod
    def of(cls, station: Station, day: date) -> DayClock:
        return cls(datetime.combine(day, time(0), tzinfo=ZoneInfo(station.time_zone)))

    def sec(self, moment: datetime) -> int:
        return int((moment - self.origin).total_seconds())

    def at(self, seconds: int) -> datetime:
        return self.origin + timedelta(seconds=int(seconds))

    def of_time(self, t: time) -> int:
        return t.hour * 3600 + t.minute * 60 + t.second


def stop_id(job_id: int) -> str:
    """A job's stop id in the planning model (the job id as text)."""
    return str(job_id)


def _volume_cm3(job: Job) -> int:
    s = job.shipment
    for length, width, height in (
        (s.measured_length_mm, s.measured_width_mm, s.measured_height_mm),
        (s.declared_length_mm, s.declared_width_mm, s.declared_height_mm),
    ):
        if length and width and height:
            return max(1, length * width * height // 1000)
    return DEFAULT_VOLUME_CM3


def job_stop(job: Job, clock: DayClock, *, done: bool = False) -> Stop | None:
    """The planning stop of a job, or None when it has no coordinates. Needs ``job.shipment`` loaded."""
    if job.lat is None or job.lng is None:
        return None
    s = job.shipment
    return Stop(
        id=stop_id(job.pk),
        kind="pickup" if job.kind == JobKind.PICKUP else "delivery",
        x=job.lng,
        y=job.lat,
        tw_start=max(0, clock.sec(job.window_start)) if job.window_start else 0,
        tw_end=min(OPEN_END, clock.sec(job.window_end)) if job.window_end else OPEN_END,
        service_s=SERVICE_S[JobKind(job.kind)],
        weight_g=s.measured_weight_g or s.declared_weight_g or DEFAULT_WEIGHT_G,
        volume_cm3=_volume_cm3(job),
        done=done,
    )


@dataclass
class CourierDay:
    """A courier's route as the planners see it, plus the rows it came from."""

    courier: Courier
    clock: DayClock
    vehicle: Vehicle
    stops: dict[str, Stop]  # done and remaining located stops
    jobs: dict[str, Job]  # every job of the day on the courier's plate or done, by stop id
    order: list[str]  # remaining located stops already planned, in planned order
    new: list[str]  # remaining located stops not planned yet (planned_seq null)
    unlocated: list[Job] = field(default_factory=list)
    late: tuple[str, ...] = ()
    rows: DayRows | None = field(default=None, compare=False, repr=False)  # what it was built from

    @property
    def remaining(self) -> list[str]:
        return self.order + self.new


def _position(
    courier: Courier,
    station: Station,
    clock: DayClock,
    now: datetime,
    done: list[Job],
    ping: CourierLocation | None,
) -> Point:
    arrived = [
        Point(j.lng, j.lat)
        for j in done
        if j.status == JobStatus.ARRIVED and j.lat is not None and j.lng is not None
    ]
    if arrived:
        return arrived[-1]
    if ping is not None and (now - ping.received_at).total_seconds() <= FRESH_PING_S:
        return Point(ping.lng, ping.lat)
    located = [
        (j.updated_at, j.pk, Point(j.lng, j.lat)) for j in done if j.lat is not None and j.lng is not None
    ]
    if located:
        return max(located, key=lambda row: (row[0], row[1]))[2]
    return Point(station.lng, station.lat)


@dataclass(frozen=True)
class DayRows:
    """What a courier's day is built from that depends neither on the moment nor on the courier's
    shift, place or vehicle: their jobs of the day in route order, split into done and remaining,
    as planning stops. Never mutated (``day_of`` copies what a :class:`CourierDay` may change), so
    one can serve many calls (``warm_days``)."""

    clock: DayClock
    done: tuple[Job, ...]
    stops: dict[str, Stop]  # done stops first, then the remaining located ones in route order
    order: tuple[str, ...]
    new: tuple[str, ...]
    unlocated: tuple[Job, ...]
    jobs: dict[str, Job]

    @cached_property
    def done_ids(self) -> tuple[str, ...]:
        return tuple(s for s, stop in self.stops.items() if stop.done)

    @cached_property
    def remaining(self) -> tuple[str, ...]:
        """The remaining located stops in route order (planned, then new)."""
        return self.order + self.new

    @cached_property
    def remaining_points(self) -> PointArray:
        return PointArray([self.stops[s].point for s in self.remaining])

    @cached_property
    def skeleton(self) -> Skeleton:
        """The remaining stops as arrays (``warm_days.route_state_of``)."""
        stops = [self.stops[s] for s in self.remaining]
        return Skeleton(
            index={s: i for i, s in enumerate(self.remaining)},
            tw_a=np.array([s.tw_start for s in stops], dtype=np.int64),
            tw_b=np.array([s.tw_end for s in stops], dtype=np.int64),
            service=np.array([s.service_s for s in stops], dtype=np.int64),
            loads=leg_loads_of(stops),
        )


@dataclass
class Skeleton:
    """Per-stop arrays of a day's remaining route that depend neither on the moment nor on the
    courier (windows before any lifting, service, the load on each leg before what is on board),
    and the legs between consecutive stops per vehicle profile, computed on first use."""

    index: dict[str, int]
    tw_a: NDArray[np.int64]
    tw_b: NDArray[np.int64]
    service: NDArray[np.int64]
    loads: NDArray[np.int64]
    legs: dict[str, tuple[NDArray[np.int64], NDArray[np.int64]]] = field(default_factory=dict)
    # The last insertion state assembled over these rows, with the vehicle it was for: the state
    # is a function of the two (``warm_days.route_state_of``), so calls within the same second
    # (a live courier's start time is "now" to the second) share it.
    last_state: tuple[Vehicle, RouteState] | None = None
    # The last start (place, time, profile) the missed windows were found for, those stops, and
    # the stops with their windows lifted (``_lift_missed_windows``).
    last_lifted: tuple[tuple[Point, int, str], tuple[str, ...], dict[str, Stop]] | None = None
    # The travel times from the last start place to each remaining stop: a live courier's start
    # time moves every second while their place moves only with a ping, so the times are kept by
    # place and only the comparison with the windows is redone.
    last_reach: tuple[tuple[Point, str], IntMatrix] | None = None


def day_rows(station: Station, day: date, jobs: Iterable[Job]) -> DayRows:
    """A courier's jobs of ``day`` (shipment loaded) as :class:`DayRows`."""
    clock = DayClock.of(station, day)
    jobs = sorted(jobs, key=lambda j: (j.planned_seq is None, j.planned_seq or 0, j.pk))
    done = [j for j in jobs if j.status in DONE]
    stops: dict[str, Stop] = {}
    for j in done:
        stop = job_stop(j, clock, done=True)
        if stop is not None:
            stops[stop.id] = stop
    order: list[str] = []
    new: list[str] = []
    unlocated: list[Job] = []
    for j in (j for j in jobs if j.status in REMAINING):
        stop = job_stop(j, clock)
        if stop is None:
            unlocated.append(j)
            continue
        stops[stop.id] = stop
        (order if j.planned_seq is not None else new).append(stop.id)
    return DayRows(
        clock=clock,
        done=tuple(done),
        stops=stops,
        order=tuple(order),
        new=tuple(new),
        unlocated=tuple(unlocated),
        jobs={stop_id(j.pk): j for j in jobs},
    )


def day_of(
    rows: DayRows, courier: Courier, station: Station, now: datetime, ping: CourierLocation | None = None
) -> CourierDay:
    """The courier's day at ``now``: their vehicle (shift, capacity, and once the shift has
    started where they are now) over ``rows``, with the windows they can no longer meet lifted."""
    clock = rows.clock
    shift_start, shift_end = clock.of_time(courier.shift_start), clock.of_time(courier.shift_end)
    t_now = clock.sec(now)
    live = t_now > shift_start
    vehicle = Vehicle(
        id=str(courier.pk),
        capacity_weight_g=courier.capacity_g,
        capacity_volume_cm3=courier.capacity_cm3,
        shift_start=shift_start,
        shift_end=shift_end,
        depot=Point(station.lng, station.lat),
        profile=PROFILE.get(VehicleType(courier.vehicle_type), "e-tricycle"),
        position=_position(courier, station, clock, now, list(rows.done), ping) if live else None,
        position_time=t_now if live else None,
        done_stop_ids=rows.done_ids,
    )
    stops, late = _lift_missed_windows(vehicle, rows)
    return CourierDay(
        courier=courier,
        clock=clock,
        vehicle=replace(vehicle, sequence=rows.order),
        stops=stops,
        jobs=dict(rows.jobs),
        order=list(rows.order),
        new=list(rows.new),
        unlocated=list(rows.unlocated),
        late=late,
        rows=rows,
    )


def build_day(
    courier: Courier,
    station: Station,
    day: date,
    now: datetime,
    jobs: Iterable[Job],
    ping: CourierLocation | None = None,
) -> CourierDay:
    """Turn a courier's jobs of ``day`` (shipment loaded) into a planning vehicle and stops."""
    return day_of(day_rows(station, day, jobs), courier, station, now, ping)


def _lift_missed_windows(vehicle: Vehicle, rows: DayRows) -> tuple[dict[str, Stop], tuple[str, ...]]:
    """The day's stops (a copy) with the windows the courier can no longer meet lifted, and those
    stops. Which they are depends on where and when the courier starts and how fast they ride
    only, so the answer is kept with the rows for the last start (``Skeleton.last_lifted``)."""
    stops = dict(rows.stops)
    if not rows.remaining:
        return stops, ()
    key = (vehicle.start_point, vehicle.start_time, vehicle.profile)
    sk = rows.skeleton
    kept = sk.last_lifted
    if kept is None or kept[0] != key:
        place = (vehicle.start_point, vehicle.profile)
        reach = sk.last_reach  # read once: another thread may keep another place's meanwhile
        if reach is None or reach[0] != place:
            reach = (place, MATRIX.table([vehicle.start_point], rows.remaining_points, vehicle.profile)[1])
            sk.last_reach = reach
        missed = np.flatnonzero(vehicle.start_time + reach[1][0] > sk.tw_b)
        late = tuple(rows.remaining[int(i)] for i in missed)
        if kept is not None and kept[1] == late:  # the same stops lifted: the same lifted copies
            kept = (key, late, kept[2])
        else:
            kept = (key, late, {s: replace(rows.stops[s], tw_end=OPEN_END) for s in late})
        sk.last_lifted = kept
    stops.update(kept[2])
    return stops, kept[1]


def day_jobs(courier_ids: Sequence[int], day: date) -> dict[int, list[Job]]:
    """Every job of ``day`` on these couriers' plates or done, by courier, in one query."""
    out: dict[int, list[Job]] = {cid: [] for cid in courier_ids}
    rows = Job.objects.filter(
        courier_id__in=courier_ids, service_date=day, status__in=[*DONE, *REMAINING]
    ).select_related("shipment")
    for job in rows:
        if job.courier_id is not None:  # always, by the courier_id__in filter
            out[job.courier_id].append(job)
    return out


_PING_FIELDS = [f.attname for f in CourierLocation._meta.concrete_fields]
_L = CourierLocation._meta.db_table
_PING_COLUMNS = ", ".join(f'"{c}"' for c in _PING_FIELDS)
_PINGS = (
    f'SELECT DISTINCT ON ("courier_id") {_PING_COLUMNS} FROM "{_L}" '
    f'WHERE "courier_id" = ANY(%s) AND "received_at" >= %s ORDER BY "courier_id", "received_at" DESC, "id" DESC'
)


def recent_pings(courier_ids: Sequence[int], now: datetime) -> dict[int, CourierLocation]:
    """Each courier's newest location received within ``FRESH_PING_S`` of ``now`` (older ones say nothing of where they are)."""
    since = now - timedelta(seconds=FRESH_PING_S)
    if connection.vendor == "postgresql":
        # One row per courier (DISTINCT ON over the (courier, -received_at) index), not every ping
        # of the last 15 minutes: a device pinging every 10 s left ~90 rows per courier to skip.
        # A fixed statement, not a queryset: every auto-assignment asks this for the whole station,
        # and compiling the queryset cost more than running it.
        with connection.cursor() as cur:
            cur.execute(_PINGS, [list(courier_ids), since])
            return {
                int(row[1]): CourierLocation.from_db(connection.alias, _PING_FIELDS, list(row))
                for row in cur.fetchall()
            }
    rows = CourierLocation.objects.filter(courier_id__in=courier_ids, received_at__gte=since)
    latest: dict[int, CourierLocation] = {}
    for loc in rows:
        if loc.courier_id not in latest or loc.received_at > latest[loc.courier_id].received_at:
            latest[loc.courier_id] = loc
    return latest


def build_days(
    couriers: Sequence[Courier], station: Station, day: date, now: datetime | None = None
) -> list[CourierDay]:
    """:func:`build_day` for many couriers of one station with two queries in all."""
    now = now or timezone.now()
    ids = [c.pk for c in couriers]
    jobs, pings = day_jobs(ids, day), recent_pings(ids, now)
    return [build_day(c, station, day, now, jobs[c.pk], pings.get(c.pk)) for c in couriers]
