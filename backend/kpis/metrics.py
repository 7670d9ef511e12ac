"""The KPIs as pure functions over parcels' event histories (definitions: docs/kpis.md).

No database here: ``selectors`` reads the histories into these dataclasses, and tests build them by
hand. Every figure belongs to the station's local date of the event's *device* time
(``event_at``), never to the upload time (``received_at``) nor to the UTC date: a parcel delivered
offline at 23:50 and uploaded the next morning counts for the evening it was delivered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.kpis.models import Metric
from backend.shipments.states import EventKind, JobKind, ProofMethod

# A scan uploaded within this of its device time is "in time": a handheld with signal pushes
# within seconds, so anything later was held offline (or by a stuck outbox).
SCAN_TIMELY_WITHIN = timedelta(minutes=10)
SCAN_KINDS = frozenset(
    {
        EventKind.PICKUP_SCAN,
        EventKind.STATION_IN,
        EventKind.SORTED,
        EventKind.LOADED_OUT,
        EventKind.DELIVERED,
        EventKind.DELIVERY_ATTEMPT,
        EventKind.PICKUP_FAILED,
    }
)
SORT_KINDS = frozenset({EventKind.STATION_IN, EventKind.SORTED, EventKind.LOADED_OUT})
ATTEMPT_KINDS = frozenset({EventKind.DELIVERED, EventKind.DELIVERY_ATTEMPT})
CONSENT_METHODS = frozenset({ProofMethod.LOCKER, ProofMethod.STATION})
CONSENT_KINDS = frozenset({"hold_locker", "hold_station"})  # negotiation OptionKind values
IMAGE_METHODS = frozenset({ProofMethod.SIGNATURE, ProofMethod.PHOTO})
ON_THE_SPOT_FIELDS = ("name", "relation", "call_record")
# Who holds a delivery job after each of these events: the courier who recorded it.
HOLDER_KINDS = frozenset(
    {EventKind.JOB_ACCEPTED, EventKind.JOB_STARTED, EventKind.JOB_ARRIVED, EventKind.DELIVERY_ATTEMPT}
)
# Lower is better for these; the others are "higher is better" rates.
LOWER_IS_BETTER = frozenset({Metric.ATTEMPTS, Metric.MIS_SORT})
AVERAGES = frozenset({Metric.ATTEMPTS})  # numerator / denominator; the others are percentages


@dataclass(frozen=True)
class Window:
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class Event:
    """One tracking event as the KPIs see it."""

    kind: str
    event_at: datetime  # the device's clock: decides the day
    received_at: datetime  # the server's clock: only scan timeliness reads it
    job_id: int | None = None
    courier_id: int | None = None  # the courier who recorded it; None for staff and the system
    station_id: int | None = None  # the station it was recorded at
    to_courier_id: int | None = None  # a job_assigned event: the courier the job was given to
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Negotiated:
    """A window the customer agreed to (a consent record of kind ``window``)."""

    answered_at: datetime
    window: Window


@dataclass(frozen=True)
class Proof:
    method: str
    located: bool  # the proof carries a GPS position
    media_named: int  # images (signature, photo) the proof names
    media_received: int  # of those, received completely by the server


@dataclass(frozen=True)
class Parcel:
    """One shipment's whole history: the KPIs of a day need what happened before it too."""

    shipment_id: int
    station_id: int
    promised: Window
    job_kinds: Mapping[int, str]  # job id → JobKind
    job_windows: Mapping[int, Window]
    events: Sequence[Event]
    negotiated: Sequence[Negotiated] = ()
    proofs: Mapping[int, Proof] = field(default_factory=dict)  # by job id
    consents: Mapping[int, str] = field(default_factory=dict)  # consent id → option kind


Key = tuple[str, int | None]  # (metric, courier id; None: the whole station)


@dataclass
class Tally:
    counts: dict[Key, list[int]] = field(default_factory=dict)

    def add(
        self, metric: str, courier_id: int | None, hit: int, of: int = 1, *, station: bool = True
    ) -> None:
        keys: list[Key] = [(metric, None)] if station else []
        if courier_id is not None:
            keys.append((metric, courier_id))
        for key in keys:
            pair = self.counts.setdefault(key, [0, 0])
            pair[0] += hit
            pair[1] += of

    def result(self) -> dict[Key, tuple[int, int]]:
        return {key: (n, d) for key, (n, d) in self.counts.items() if d > 0}


def local_day(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def ratio(metric: str, numerator: int, denominator: int) -> float | None:
    """What the page shows: a percentage, or (attempts) an average per parcel."""
    if denominator <= 0:
        return None
    value = numerator / denominator
    return round(value, 2) if metric in AVERAGES else round(100 * value, 1)


def day_figures(parcels: Iterable[Parcel], day: date, time_zone: str) -> dict[Key, tuple[int, int]]:
    """Every KPI of ``day`` (the station's local date in ``time_zone``), for the station and per courier."""
    zone = ZoneInfo(time_zone)
    tally = Tally()
    for parcel in parcels:
        events = sorted(parcel.events, key=lambda e: (e.event_at, e.received_at))
        today = [e for e in events if local_day(e.event_at, zone) == day]
        if not today:
            continue
        _deliveries(tally, parcel, events, today)
        _first_attempt(tally, parcel, events, day, zone)
        _pickups(tally, parcel, today)
        _scans(tally, today)
        _mis_sorts(tally, parcel, events, today)
    return tally.result()


def _is_delivery(parcel: Parcel, event: Event) -> bool:
    return event.job_id is not None and parcel.job_kinds.get(event.job_id) == JobKind.DELIVERY


def _attempts(parcel: Parcel, events: Sequence[Event]) -> list[Event]:
    return [e for e in events if e.kind in ATTEMPT_KINDS and _is_delivery(parcel, e)]


def delivery_window(parcel: Parcel, job_id: int, at: datetime) -> Window:
    """The window a delivery at ``at`` is judged against: the last window the customer agreed to
    before it, else the promised one, else the job's own."""
    agreed = [n for n in parcel.negotiated if n.answered_at <= at and n.window.end is not None]
    if agreed:
        return max(agreed, key=lambda n: n.answered_at).window
    if parcel.promised.end is not None:
        return parcel.promised
    return parcel.job_windows.get(job_id, Window())


def proof_complete(proof: Proof | None) -> bool:
    if proof is None or not proof.located or proof.media_received < proof.media_named:
        return False
    return proof.method not in IMAGE_METHODS or proof.media_named > 0


def consent_complete(details: Mapping[str, Any], consents: Mapping[int, str]) -> bool:
    consent_id = details.get("consent_id")
    if isinstance(consent_id, int) and consents.get(consent_id) in CONSENT_KINDS:
        return True
    spot = details.get("consent_on_the_spot")
    if not isinstance(spot, Mapping):
        return False
    return all(str(spot.get(f, "")).strip() for f in ON_THE_SPOT_FIELDS)


def _deliveries(tally: Tally, parcel: Parcel, events: Sequence[Event], today: Sequence[Event]) -> None:
    for e in today:
        if e.kind != EventKind.DELIVERED or not _is_delivery(parcel, e):
            continue
        assert e.job_id is not None
        courier = e.courier_id
        tally.add(
            Metric.ATTEMPTS, courier, len([a for a in _attempts(parcel, events) if a.event_at <= e.event_at])
        )
        window = delivery_window(parcel, e.job_id, e.event_at)
        if window.end is not None:
            tally.add(Metric.ON_TIME, courier, int(e.event_at <= window.end))
        proof = parcel.proofs.get(e.job_id)
        tally.add(Metric.PROOF_COMPLETE, courier, int(proof_complete(proof)))
        method = e.details.get("method") or (proof.method if proof is not None else "")
        if method in CONSENT_METHODS:
            tally.add(Metric.CONSENT_COMPLETE, courier, int(consent_complete(e.details, parcel.consents)))


def _first_attempt(tally: Tally, parcel: Parcel, events: Sequence[Event], day: date, zone: ZoneInfo) -> None:
    attempts = _attempts(parcel, events)
    if attempts and local_day(attempts[0].event_at, zone) == day:
        first = attempts[0]
        tally.add(Metric.FIRST_ATTEMPT, first.courier_id, int(first.kind == EventKind.DELIVERED))


def _pickups(tally: Tally, parcel: Parcel, today: Sequence[Event]) -> None:
    for e in today:
        if e.kind != EventKind.PICKUP_SCAN or e.job_id is None:
            continue
        if parcel.job_kinds.get(e.job_id) != JobKind.PICKUP:
            continue
        end = parcel.job_windows.get(e.job_id, Window()).end
        if end is not None:
            tally.add(Metric.PICKUP_ON_TIME, e.courier_id, int(e.event_at <= end))


def _scans(tally: Tally, today: Sequence[Event]) -> None:
    for e in today:
        if e.kind in SCAN_KINDS:
            tally.add(Metric.SCAN_TIMELY, e.courier_id, int(e.received_at - e.event_at <= SCAN_TIMELY_WITHIN))


def holder_at(parcel: Parcel, events: Sequence[Event], scan: Event) -> int | None:
    """The courier holding the parcel's delivery job just before ``scan`` (by device time)."""
    holder: int | None = None
    for e in events:
        if e is scan or e.event_at > scan.event_at:
            break
        if not _is_delivery(parcel, e):
            continue
        if e.kind == EventKind.JOB_ASSIGNED and e.to_courier_id is not None:
            holder = e.to_courier_id
        elif e.kind == EventKind.JOB_UNASSIGNED:
            holder = None
        elif e.kind in HOLDER_KINDS and e.courier_id is not None:
            holder = e.courier_id
    return holder


def is_mis_sort(parcel: Parcel, events: Sequence[Event], scan: Event) -> bool:
    """A sort scan at another station than the parcel's, or a load-out onto another courier's route."""
    if scan.station_id is not None and scan.station_id != parcel.station_id:
        return True
    if scan.kind != EventKind.LOADED_OUT or scan.courier_id is None:
        return False
    holder = holder_at(parcel, events, scan)
    return holder is not None and holder != scan.courier_id


def _mis_sorts(tally: Tally, parcel: Parcel, events: Sequence[Event], today: Sequence[Event]) -> None:
    # Counted per parcel-day (a parcel scanned three times is one sorted parcel), for the station
    # and for each courier who scanned it.
    scans = [e for e in today if e.kind in SORT_KINDS]
    if not scans:
        return
    wrong = {id(e) for e in scans if is_mis_sort(parcel, events, e)}
    tally.add(Metric.MIS_SORT, None, int(bool(wrong)))
    for courier in {e.courier_id for e in scans if e.courier_id is not None}:
        mine = [e for e in scans if e.courier_id == courier]
        tally.add(Metric.MIS_SORT, courier, int(any(id(e) in wrong for e in mine)), station=False)
