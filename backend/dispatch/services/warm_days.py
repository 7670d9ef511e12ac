"""Courier days kept warm across auto-assignment calls, checked against a fingerprint of their rows.

Deciding one job at a station of 30 couriers × 150 jobs read all 4,500 jobs and their parcels as
model instances on every call (``build_days``): ~1 s of CPU, while between two calls at most a
few routes change (the one that took the previous job, a courier's progress, a re-plan). Here
each courier's :class:`~.routes.DayRows` (their jobs of the day in route order, as stops) is kept
per process with a fingerprint of its rows: how many jobs of the day the courier has on their
plate or done, and the sum of a hash of each one's (id, version, plan revision). Every call reads
all the station's fingerprints in one grouped statement (nothing comes back but two numbers per
courier); a courier whose fingerprint is not the kept one is read again, rows and fingerprint in
one statement (a window over the same rows), so a kept day and its fingerprint always describe
the same snapshot.

Why (id, version, plan revision) is enough: every write of a job goes through ``save_job`` (which
bumps its version) or ``save_job_plan`` (its plan revision) — the invariant the route writers'
own conflict checks stand on (``write_order`` writes each job with the version and plan revision
it read). A job joining or leaving a courier's day is a write of that job; a parcel's weight and
size change only when its pickup is completed (a version bump). So a kept day is used only while
every one of its jobs is exactly as when it was read: it cannot be stale
(``tests/backend/dispatch/test_warm_days.py``). Hashing the columns themselves was measured too:
~3× the statement's time (the parcels' join and a record hash per row) for no case the versions
miss. Only the columns a day is built and written from are loaded (``only``): any other one read
from a kept job goes to the database rather than answering an old value.

The route an auto-assignment just wrote is kept as written (``keep_written``) rather than read
again on the next call, once the writing transaction has checked that the courier's rows it sees
are exactly the kept and written jobs at their versions (the same fingerprint statement, per row).

What depends on the moment — where a live courier is, their start time, the windows they can no
longer meet — and on the courier's own row (shift, capacity, vehicle) is rebuilt on every call
(``routes.day_of``), so live couriers gain as much as those before their shift. Per process,
bounded (least recently used first out); on a database other than PostgreSQL every call reads the
days afresh.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from threading import Lock

import numpy as np
from django.db import connection, transaction
from django.db.models.base import ModelState
from django.db.models.expressions import RawSQL

from backend.couriers.models import Courier, Station
from backend.dispatch.planning.insertion import RouteState, state_of_arrays
from backend.dispatch.planning.matrix import PointArray, leg_table
from backend.dispatch.planning.schedule import onboard_load
from backend.dispatch.services.routes import (
    DONE,
    MATRIX,
    REMAINING,
    CourierDay,
    DayRows,
    build_days,
    day_of,
    day_rows,
    recent_pings,
)
from backend.dispatch.services.warm_states import warm_route_state
from backend.shipments.models import Job, Shipment
from backend.shipments.services.planning import PlannedJob

MAX_DAYS = 256  # ~8 stations of 30 couriers per process; a 150-job day is ~0.2 MB

# The columns a day is built from and written back with: the only ones loaded.
JOB_FIELDS = (
    "id",
    "kind",
    "status",
    "lat",
    "lng",
    "window_start",
    "window_end",
    "planned_seq",
    "eta",
    "version",
    "plan_revision",
    "updated_at",
    "station",
    "courier",
    "service_date",
    "shipment",
)
SHIPMENT_FIELDS = (
    "measured_weight_g",
    "declared_weight_g",
    "measured_length_mm",
    "measured_width_mm",
    "measured_height_mm",
    "declared_length_mm",
    "declared_width_mm",
    "declared_height_mm",
)
_J = Job._meta.db_table


# One job row's hash: its id, version and plan revision (see the module docstring), mixed by
# PostgreSQL's 64-bit integer hash; a courier's fingerprint sums them (and counts the rows).
_ROW = f'hashint8extended("{_J}"."id", ("{_J}"."version"::bigint << 32) + "{_J}"."plan_revision")'
_FINGERPRINTS = (
    f'SELECT "{_J}"."courier_id", count(*), sum({_ROW}) FROM "{_J}" '
    f'WHERE "{_J}"."courier_id" = ANY(%s) AND "{_J}"."service_date" = %s AND "{_J}"."status" = ANY(%s) '
    f'GROUP BY "{_J}"."courier_id"'
)
_STATUSES = [str(s) for s in (*DONE, *REMAINING)]

Fingerprint = tuple[int, Decimal]
_Key = tuple[int, date, str]

_days: OrderedDict[_Key, tuple[Fingerprint, DayRows]] = OrderedDict()
_lock = Lock()
stats = {"hits": 0, "misses": 0}


def fingerprints(courier_ids: Sequence[int], day: date) -> dict[int, Fingerprint]:
    """Each courier's (jobs, sum of row hashes) for ``day``; a courier with no job is absent."""
    with connection.cursor() as cur:
        cur.execute(_FINGERPRINTS, [list(courier_ids), day, _STATUSES])
        return {int(cid): (int(n), Decimal(h)) for cid, n, h in cur.fetchall()}


def _read(courier_ids: Sequence[int], day: date) -> dict[int, tuple[Fingerprint, list[Job]]]:
    """The couriers' jobs of ``day`` (only the fingerprinted columns) with their fingerprint, in
    one statement: the window sums the same row hashes as ``fingerprints`` over the rows read."""
    part = f'OVER (PARTITION BY "{_J}"."courier_id")'
    rows = (
        Job.objects.filter(courier_id__in=courier_ids, service_date=day, status__in=_STATUSES)
        .select_related("shipment")
        .only(*JOB_FIELDS, *(f"shipment__{f}" for f in SHIPMENT_FIELDS))
        .annotate(day_n=RawSQL(f"count(*) {part}", ()), day_hash=RawSQL(f"sum({_ROW}) {part}", ()))
    )
    out: dict[int, tuple[Fingerprint, list[Job]]] = {}
    for job in rows:
        assert job.courier_id is not None  # by the filter
        fp: Fingerprint = (int(getattr(job, "day_n")), Decimal(getattr(job, "day_hash")))  # noqa: B009
        out.setdefault(job.courier_id, (fp, []))[1].append(job)
    return out


def warm_days(couriers: Sequence[Courier], station: Station, day: date, now: datetime) -> list[CourierDay]:
    """``build_days(couriers, station, day, now)``: the same days, each courier's rows read only
    when they changed since this process last read them (see the module docstring)."""
    ids = [c.pk for c in couriers]
    if connection.vendor != "postgresql":
        return build_days(couriers, station, day, now)
    now_fp = fingerprints(ids, day)
    empty: Fingerprint = (0, Decimal(0))
    kept: dict[int, DayRows] = {}
    with _lock:
        for cid in ids:
            entry = _days.get((cid, day, station.time_zone))
            if entry is not None and entry[0] == now_fp.get(cid, empty):
                _days.move_to_end((cid, day, station.time_zone))
                kept[cid] = entry[1]
        stats["hits"] += len(kept)
        stats["misses"] += len(ids) - len(kept)
    stale = [cid for cid in ids if cid not in kept]
    if stale:
        read = _read(stale, day)
        with _lock:
            for cid in stale:
                fp, jobs = read.get(cid, (empty, []))
                kept[cid] = day_rows(station, day, jobs)
                _days[(cid, day, station.time_zone)] = (fp, kept[cid])
                _days.move_to_end((cid, day, station.time_zone))
            while len(_days) > MAX_DAYS:
                _days.popitem(last=False)
    pings = recent_pings(ids, now)
    return [day_of(kept[c.pk], c, station, now, pings.get(c.pk)) for c in couriers]


# One courier's day rows as they stand in this transaction: each row's identity and the fingerprint.
_ROWS = (
    f'SELECT "{_J}"."id", "{_J}"."version", "{_J}"."plan_revision", sum({_ROW}) OVER () FROM "{_J}" '
    f'WHERE "{_J}"."courier_id" = %s AND "{_J}"."service_date" = %s AND "{_J}"."status" = ANY(%s)'
)
_NARROW = [f for f in Job._meta.concrete_fields if f.name in JOB_FIELDS]
_NARROW_NAMES = [f.attname for f in _NARROW]


def keep_written(day: CourierDay, written: Sequence[PlannedJob]) -> bool:
    """After a route writer wrote ``written`` over ``day`` (a warm day, to which it may have added
    the job it just assigned): keep the courier's day as it now stands as their warm day, from
    this transaction's commit on, instead of reading its ~150 rows again on the next call.

    Every job of the day is one of the kept rows the day was built from, or the day's own copy of
    a job given to the courier in this transaction; those written get their new place, ETA, plan
    revision and time of change. The day's rows as this transaction sees them — each one's id,
    version and plan revision, and the fingerprint, in one statement — must then be exactly these
    jobs at these versions: a job that another transaction gave the courier, took away or changed
    meanwhile makes them differ, and nothing is kept (the next call reads the day). So the kept
    rows and their fingerprint describe one state, as a read's do. Must run inside the writer's
    transaction, after its writes; returns whether the day will be kept (on commit; a rollback
    keeps nothing).
    """
    rows = day.rows
    if rows is None or connection.vendor != "postgresql":
        return False
    kept = {j.pk: j for j in rows.jobs.values()}
    plans = {p.id: p for p in written}
    jobs: dict[int, Job] = {}
    for job in (*day.jobs.values(), *day.unlocated):
        plan, read = plans.get(job.pk), job is kept.get(job.pk)
        if plan is None and read:
            jobs[job.pk] = job
        elif plan is None or plan.version != job.version:
            return False  # a row neither read nor written here, or one changed since it was read
        else:
            jobs[job.pk] = _as_written(job, plan, read)
    if plans.keys() - jobs.keys():
        return False
    service_date = rows.clock.origin.date()
    with connection.cursor() as cur:
        cur.execute(_ROWS, [day.courier.pk, service_date, _STATUSES])
        now = cur.fetchall()
    if {i: (v, r) for i, v, r, _ in now} != {j.pk: (j.version, j.plan_revision) for j in jobs.values()}:
        return False
    fp: Fingerprint = (len(now), Decimal(now[0][3]) if now else Decimal(0))
    station = day.courier.station
    new_rows = day_rows(station, service_date, jobs.values())
    key = (day.courier.pk, service_date, station.time_zone)
    transaction.on_commit(lambda: _keep(key, fp, new_rows))
    return True


def _as_written(job: Job, plan: PlannedJob, narrow: bool) -> Job:
    """A kept row (``narrow``: read with ``JOB_FIELDS`` only) or the day's copy of a job just given
    to the courier, with its plan as written; a new instance (kept rows are never changed), with
    only the columns a day is read with (the others deferred, as ``_read`` leaves them)."""
    if narrow:
        out = _copy_row(job)  # the same loaded columns and the same (never changed) parcel row
    else:
        out = Job.from_db(connection.alias, _NARROW_NAMES, [getattr(job, n) for n in _NARROW_NAMES])
        names = ["id", *SHIPMENT_FIELDS]
        out.shipment = Shipment.from_db(connection.alias, names, [getattr(job.shipment, n) for n in names])
    out.planned_seq, out.plan_revision, out.updated_at = plan.planned_seq, plan.plan_revision, plan.updated_at
    out.eta = plan.eta.astimezone(UTC) if plan.eta is not None else None  # as read: in UTC
    return out


def _copy_row(job: Job) -> Job:
    """``copy.copy(job)``: its columns, and its own model state holding the same related rows.
    ``copy.copy`` of a model goes through pickling's ``__reduce_ex__`` at ~20 µs a row; a route
    write keeps ~150 rows, so this does what it does directly (~2 µs)."""
    out = Job.__new__(Job)
    state = ModelState()
    state.db, state.adding = job._state.db, job._state.adding
    state.fields_cache = dict(job._state.fields_cache)
    out.__dict__.update(job.__dict__)
    out._state = state
    return out


def _keep(key: _Key, fp: Fingerprint, rows: DayRows) -> None:
    with _lock:
        _days[key] = (fp, rows)
        _days.move_to_end(key)
        while len(_days) > MAX_DAYS:
            _days.popitem(last=False)


def route_state_of(day: CourierDay) -> RouteState:
    """The insertion state of the courier's remaining route: ``route_state`` of the day's
    remaining stops, assembled from its rows' kept arrays (``DayRows.skeleton``) when the day is
    as built from them: only the legs from where the courier is and back to the station, the
    lifted windows and the load on board are new per call, and only once per vehicle (a live
    courier's start is "now" to the second: calls within the same second share the state).
    Exactly ``route_state``'s arrays (``test_warm_days.py``); otherwise (a day changed since it
    was built) ``route_state`` itself."""
    v, rows = day.vehicle, day.rows
    as_built = rows is not None and bool(day.remaining) and tuple(day.remaining) == rows.remaining
    if as_built and rows is not None and (last := rows.skeleton.last_state) is not None and last[0] == v:
        # The same rows and the same vehicle (start place and time, shift, capacity, done
        # stops): the day's windows lifted and its load on board are the same, so is the state.
        return last[1]
    stops = [day.stops[s] for s in day.remaining]
    onboard = onboard_load(v, day.stops)
    if rows is None or not as_built:
        return warm_route_state(v, stops, MATRIX, onboard)
    sk, rem = rows.skeleton, rows.remaining_points
    if v.profile not in sk.legs:
        sk.legs[v.profile] = leg_table(MATRIX, rem, v.profile)
    inner_d, inner_t = sk.legs[v.profile]
    # start → first stop and last stop → station, element by element as leg_table computes them
    ends_d, ends_t = leg_table(MATRIX, PointArray((v.start_point, rem[0], rem[-1], v.depot)), v.profile)
    tw_b = sk.tw_b.copy()
    for s in day.late:
        tw_b[sk.index[s]] = day.stops[s].tw_end
    first, last_ = (v.start_point.x, v.start_point.y), (v.depot.x, v.depot.y)
    state = state_of_arrays(
        v,
        stops,
        PointArray((v.start_point, *rem, v.depot), np.vstack([first, rem.xy, last_])),
        np.concatenate([ends_d[:1], inner_d, ends_d[2:]]),
        np.concatenate([ends_t[:1], inner_t, ends_t[2:]]),
        np.concatenate([[0], sk.tw_a, [0]]),
        np.concatenate([[v.start_time], tw_b, [v.shift_end]]),
        np.concatenate([[0], sk.service, [0]]),
        sk.loads + np.array(onboard, dtype=np.int64),
    )
    sk.last_state = (v, state)
    return state


def clear() -> None:
    with _lock:
        _days.clear()
        stats.update(hits=0, misses=0)
