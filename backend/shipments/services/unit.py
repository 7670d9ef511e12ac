"""A unit of work: the lifecycle services' writes, collected and written set-based.

A handheld's push holds up to a hundred starts, arrivals, deliveries and failures. Run one by one,
each op costs its own locks, updates and inserts — about eight statements and their ORM work — so
a push spends its time on round trips. Inside ``unit_of_work()`` the *same* services run the
*same* checks on the *same* rows, but:

- ``lock_job`` returns rows locked up front for the whole push (``preload``: one statement);
- ``save_job`` / ``save_shipment`` / ``record_event`` / ``insert`` only note what to write;
- ``flush`` writes it all: one UPDATE per table for the changed rows, one INSERT per table for
  the new rows, in the order the services asked.

While the unit is open the rows it holds are authoritative in memory (they are locked, so nobody
else can change them); a service that reads other rows still reads the database. An op that fails
is undone with ``mark``/``rollback``: the rows it touched get their earlier state back and its
pending inserts are dropped. Outside a unit (REST, the admin, tasks) the services write at once,
as they always did: the unit changes how the writes travel, never which writes happen.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from backend.common import pgbulk, rows
from backend.shipments.models import Job, Shipment

_active = threading.local()
_SHIPMENT = Job._meta.get_field("shipment")


def jobs_locked_with_shipments() -> QuerySet[Job]:
    """Jobs with their shipments, both rows locked in one statement, the job's first (the executor
    locks a joined row's tables in the order the query names them). ``lock_job`` and ``preload``."""
    return Job.objects.select_for_update(of=("self", "shipment"), no_key=True).select_related("shipment")


@functools.cache
def _lock_one_sql() -> str:
    job, shipment = rows.shape(Job), rows.shape(Shipment)
    # The statement the queryset above compiles for one job, tables in the same order (so the
    # same lock order), written once instead of compiled per call (backend/common/rows.py).
    return (
        f'SELECT {job.select("j")}, {shipment.select("s")} FROM "{job.table}" j '
        f'INNER JOIN "{shipment.table}" s ON s."{Shipment._meta.pk.column}" = j."{_SHIPMENT.column}" '
        f'WHERE j."{Job._meta.pk.column}" = %s FOR NO KEY UPDATE OF j, s'
    )


def lock_one_job(job_id: int) -> Job | None:
    """``jobs_locked_with_shipments().get(pk=job_id)``, or None; the SQL built once on PostgreSQL."""
    if connection.vendor != "postgresql":
        return jobs_locked_with_shipments().filter(pk=job_id).first()
    row = rows.fetch(_lock_one_sql(), [job_id])
    if row is None:
        return None
    job_shape = rows.shape(Job)
    width = len(job_shape.columns)
    job = job_shape.build(Job, row[:width])
    _SHIPMENT.set_cached_value(job, rows.shape(Shipment).build(Shipment, row[width:]))
    return job


@dataclass
class _Touched:
    instance: models.Model
    state: dict[str, Any]  # the instance's field values before the op
    was_clean: bool


@dataclass
class _Mark:
    inserts: int
    touched: dict[tuple[type, Any], _Touched] = field(default_factory=dict)


@dataclass
class UnitOfWork:
    jobs: dict[int, Job] = field(default_factory=dict)
    shipments: dict[int, Shipment] = field(default_factory=dict)
    dirty: dict[tuple[type, int], tuple[models.Model, set[str]]] = field(default_factory=dict)
    inserts: list[models.Model] = field(default_factory=list)
    _mark: _Mark | None = None

    # -- reading ---------------------------------------------------------------------------------

    def preload(self, job_ids: list[int], only: Sequence[str] = (), shipments: bool = True) -> None:
        """Lock these jobs and their shipments in one statement, in job id order (the order a
        single ``lock_job`` uses per job, so units and single ops cannot deadlock each other).
        ``only``: load just these columns (``QuerySet.only``), for a unit whose services read
        no other (``jobs_set_plan``'s own). ``shipments=False``: lock the jobs alone, for a unit
        whose services neither read nor write a parcel (a plan write): locking ~150 parcel rows
        it never touches was a third of an auto-assignment's route write."""
        wanted = sorted({i for i in job_ids if i not in self.jobs})
        if not wanted:
            return
        if shipments:
            rows = jobs_locked_with_shipments().filter(pk__in=wanted).order_by("pk")
        else:
            rows = (
                Job.objects.select_for_update(of=("self",), no_key=True).filter(pk__in=wanted).order_by("pk")
            )
        for job in rows.only(*only) if only else rows:
            self._hold(job)

    def job(self, job_id: int) -> Job | None:
        job = self.jobs.get(job_id)
        if job is not None:
            self._remember(job)
            if _SHIPMENT.is_cached(job):  # not loaded by a jobs-only preload: never fetch it here
                self._remember(job.shipment)
        return job

    def adopt(self, job: Job) -> Job:
        """A job locked one by one (not preloaded) joins the unit."""
        self._hold(job)
        self._remember(job)  # as job() does for a preloaded one
        self._remember(job.shipment)
        return job

    def _hold(self, job: Job) -> None:
        # Two jobs of one parcel (a pickup and its delivery, a re-attempt) share one Shipment
        # instance, so what one op changes on it the next op sees, and it is written once.
        if _SHIPMENT.is_cached(job):
            job.shipment = self.shipments.setdefault(job.shipment_id, job.shipment)
        self.jobs[job.pk] = job

    # -- writing ---------------------------------------------------------------------------------

    def save(self, instance: models.Model, fields: list[str]) -> None:
        self._remember(instance)
        if "updated_at" in fields:
            instance.updated_at = timezone.now()  # type: ignore[attr-defined]  # what auto_now would set
        key = (type(instance), instance.pk)
        _, names = self.dirty.setdefault(key, (instance, set()))
        names.update(fields)

    def insert(self, instance: models.Model) -> None:
        self.inserts.append(instance)

    # -- undoing one op --------------------------------------------------------------------------

    def mark(self) -> None:
        self._mark = _Mark(inserts=len(self.inserts))

    def rollback(self) -> None:
        """Undo what happened since ``mark``: field values back, pending inserts dropped."""
        assert self._mark is not None
        for key, t in self._mark.touched.items():
            t.instance.__dict__.update(t.state)
            if t.was_clean:  # its values are back: nothing to write for it
                self.dirty.pop(key, None)
        del self.inserts[self._mark.inserts :]
        self._mark = None

    def _remember(self, instance: models.Model) -> None:
        if self._mark is None:
            return
        key = (type(instance), instance.pk)
        if key not in self._mark.touched:
            # A shallow copy is enough: services assign new values, they never mutate one in place.
            state = {k: v for k, v in instance.__dict__.items() if k != "_state"}
            self._mark.touched[key] = _Touched(instance, state, key not in self.dirty)

    # -- writing it all --------------------------------------------------------------------------

    def flush(self) -> None:
        by_model: dict[type, list[tuple[models.Model, set[str]]]] = {}
        for instance, names in self.dirty.values():
            by_model.setdefault(type(instance), []).append((instance, names))
        # Jobs before shipments, the order single ops lock and write in.
        for model in sorted(by_model, key=lambda m: (m is not Job, m is not Shipment)):
            rows = by_model[model]
            _update_rows(model, [r for r, _ in rows], sorted(set().union(*(n for _, n in rows))))
        groups: dict[type[models.Model], list[models.Model]] = {}
        for instance in self.inserts:
            groups.setdefault(type(instance), []).append(instance)
        for model, instances in groups.items():
            model._default_manager.bulk_create(instances)
        self.dirty.clear()
        self.inserts.clear()


def _column(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):  # a reverse relation or a generic key has no column
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _db_values(column: models.Field[Any, Any], values: list[Any]) -> list[Any]:
    """``get_db_prep_save`` of each value, skipped where it returns the value itself: whole numbers
    in an integer column and aware datetimes in a datetime one (what PostgreSQL's backend passes
    through unchanged; a naive one still takes Django's path, which warns). A route write sends
    ~150 rows × 4 columns through here, and the per-value call was most of the flush's time."""
    whole = isinstance(column, models.IntegerField) and all(v is None or type(v) is int for v in values)
    aware = isinstance(column, models.DateTimeField) and all(
        v is None or (type(v) is datetime and v.tzinfo is not None) for v in values
    )
    if whole or aware:
        return values
    return [column.get_db_prep_save(v, connection) for v in values]


def _update_rows(model: type[models.Model], rows: list[models.Model], names: list[str]) -> None:
    """One UPDATE for many rows: every named field of every row set to its value in memory."""
    rows = sorted(rows, key=lambda r: r.pk)
    fields = [_column(model, n) for n in names]
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(rows, names)
        return
    cols = [f.column for f in fields]
    types = [f.db_type(connection) for f in fields]
    pk_type = model._meta.pk.db_type(connection)
    pk_col = model._meta.pk.column
    params: list[list[Any]] = [[r.pk for r in rows]]
    for f in fields:
        params.append(_db_values(f, [getattr(r, f.attname) for r in rows]))
    table = model._meta.db_table
    sets = ", ".join(f'"{c}" = v."{c}"' for c in cols)
    arrays = ", ".join(f"%b::{t}[]" for t in [pk_type, *types])
    names_sql = ", ".join(f'"{c}"' for c in [pk_col, *cols])
    pgbulk.execute(
        f'UPDATE "{table}" AS t SET {sets} FROM unnest({arrays}) AS v({names_sql}) '
        f'WHERE t."{pk_col}" = v."{pk_col}"',
        params,
    )


def current() -> UnitOfWork | None:
    """The unit of work open on this thread, or None."""
    return getattr(_active, "unit", None)


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    """Collect the services' writes inside the block; a clean exit writes them (see module doc)."""
    assert transaction.get_connection().in_atomic_block, "a unit of work needs a transaction"
    if current() is not None:
        raise RuntimeError("units of work do not nest")
    unit = UnitOfWork()
    _active.unit = unit
    try:
        yield unit
    finally:
        _active.unit = None
    unit.flush()
