"""Windows on a courier's day, from the database: today from where the courier is now,
tomorrow from tomorrow's route and shift (``windows`` holds the math)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from backend.couriers.models import Courier
from backend.dispatch.planning.insertion import route_state
from backend.dispatch.planning.schedule import onboard_load
from backend.dispatch.services.planning import load_day
from backend.dispatch.services.routes import MATRIX, job_stop, stop_id
from backend.negotiation.windows import LEAD_S, STEP_S, WINDOW_S, feasible_windows, spread
from backend.shipments.models import Job


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    position: int  # where in the remaining route the stop would go


def job_windows(job: Job, day: date, now: datetime, *, limit: int = 3) -> list[Window]:
    """Windows on ``day`` that the job's courier can keep; none for a job without courier or place.

    ``job.shipment`` must be loaded (the stop's weight and size come from it).
    """
    if job.courier_id is None:
        return []
    courier = Courier.objects.select_related("station").get(pk=job.courier_id)
    cday = load_day(courier, day, now)
    stop = job_stop(job, cday.clock)
    if stop is None:
        return []
    own = stop_id(job.pk)
    others = [cday.stops[s] for s in cday.remaining if s != own]
    state = route_state(cday.vehicle, others, MATRIX, onboard_load(cday.vehicle, cday.stops))
    first = max(cday.vehicle.start_time, cday.clock.sec(now) + LEAD_S)
    first += -first % STEP_S
    starts = range(first, cday.vehicle.shift_end - WINDOW_S + 1, STEP_S)
    found = spread(feasible_windows(stop, state, MATRIX, starts), limit)
    return [Window(cday.clock.at(a), cday.clock.at(b), pos) for a, b, pos in found]
