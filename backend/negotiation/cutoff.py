"""The cut-off: how close the courier may come before the customer can no longer move the visit.

A customer can change the time or the place until the courier is ``PARCELRUN_NEGOTIATION_CUTOFF_STOPS``
stops (2) or ``PARCELRUN_NEGOTIATION_CUTOFF_MINUTES`` minutes (15) away, whichever comes first, read
from the courier's current plan:

* **stops away**: the courier's undone stops (assigned, accepted, started or arrived) planned before
  this one on the job's service day. Counted only once the courier's day has begun (the service day
  at the station, from the courier's shift start): before that, the first stops of the day are not
  "close", the courier has not set out;
* **minutes away**: the job's planned ETA minus now;
* a job the courier is already driving to (``started``) or standing at (``arrived``) is past it.

A job with no visit coming (failed, unassigned, done) has no cut-off: the answer decides the next visit.

After the cut-off the customer can still choose what needs neither another time nor another place
from the courier (``STILL_POSSIBLE``): keep the visit as planned, have it held at the station (the
courier just does not stop), neighbour or safe place at the same door, or return to sender (a
supervisor confirms). A window, a redirect and a locker (a detour to a compartment nobody reserved)
are refused with ``past_cutoff``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from backend.common.errors import DomainError
from backend.couriers.models import Courier
from backend.negotiation.states import Channel
from backend.shipments.models import Job
from backend.shipments.states import JobStatus

_COMING = (JobStatus.ASSIGNED, JobStatus.ACCEPTED)  # on the plan, the courier not there yet
_AT_HAND = (JobStatus.STARTED, JobStatus.ARRIVED)  # the courier is on the way to it, or at the door
_UNDONE = (*_COMING, *_AT_HAND)

# Option kinds a customer may still choose past the cut-off (strings: some kinds are added later).
STILL_POSSIBLE = frozenset({"keep", "hold_station", "neighbour", "safe_place", "return"})

# The customer's own channels; a courier recording a call is the one who knows whether they can still
# change their round, so the cut-off is not theirs to be refused by.
CUSTOMER_CHANNELS = frozenset({Channel.LINK, Channel.SMS_REPLY})


@dataclass(frozen=True)
class Cutoff:
    passed: bool
    stops_away: int | None = None  # undone stops before this one (None: not counted)
    minutes_away: int | None = None  # whole minutes until the ETA (None: no ETA)

    def allows(self, kind: str) -> bool:
        return not (self.passed and moves_visit(kind))


OPEN = Cutoff(passed=False)


def moves_visit(kind: str) -> bool:
    """Whether an option of this kind is refused past the cut-off (it moves the visit)."""
    return kind not in STILL_POSSIBLE


def cutoff_limits() -> tuple[int, int]:
    """(stops, minutes): the customer can change the visit until the courier is this close."""
    return (
        int(getattr(settings, "PARCELRUN_NEGOTIATION_CUTOFF_STOPS", 2)),
        int(getattr(settings, "PARCELRUN_NEGOTIATION_CUTOFF_MINUTES", 15)),
    )


def job_cutoff(job: Job, now: datetime) -> Cutoff:
    """Where the courier's plan stands for ``job`` at ``now`` (two queries at most)."""
    if job.courier_id is None or job.status not in _UNDONE:
        return OPEN
    max_stops, max_minutes = cutoff_limits()
    minutes = None if job.eta is None else max(0, int((job.eta - now).total_seconds() // 60))
    if job.status in _AT_HAND:
        return Cutoff(passed=True, stops_away=0, minutes_away=minutes)
    stops = _stops_before(job, job.courier_id, now)
    passed = (stops is not None and stops <= max_stops) or (
        job.eta is not None and job.eta - now <= timedelta(minutes=max_minutes)
    )
    return Cutoff(passed=passed, stops_away=stops, minutes_away=minutes)


def _stops_before(job: Job, courier_id: int, now: datetime) -> int | None:
    if job.planned_seq is None:
        return None  # not placed in the route yet: only its ETA (if any) says how close it is
    shift_start, tz = (
        Courier.objects.filter(pk=courier_id).values_list("shift_start", "station__time_zone").get()
    )
    local = now.astimezone(ZoneInfo(tz))
    if local.date() != job.service_date or local.time() < shift_start:
        return None  # the courier's day has not begun: nobody is on the way yet
    return (
        Job.objects.filter(
            courier_id=courier_id,
            service_date=job.service_date,
            status__in=_UNDONE,
            planned_seq__lt=job.planned_seq,
        )
        .exclude(pk=job.pk)
        .count()
    )


def check_cutoff(job: Job, *, option_kind: str, channel: str, now: datetime) -> None:
    """Refuse a customer's choice that would move a visit the courier is already close to."""
    if channel not in CUSTOMER_CHANNELS or not moves_visit(option_kind):
        return
    cut = job_cutoff(job, now)
    if cut.passed:
        raise DomainError(
            "past_cutoff",
            "the courier is nearly there: the time and the place can no longer be changed",
            stops_away=cut.stops_away,
            minutes_away=cut.minutes_away,
        )
