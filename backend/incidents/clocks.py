"""An incident's clocks from its playbook, and which escalation steps are due. Pure code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from backend.incidents.states import Escalation
from backend.incidents.workdays import (
    add_working_hours,
    calendar_known,
    end_of_working_day,
    start_of_working_day,
)


class PlaybookTimes(Protocol):
    acknowledge_hours: int
    decide_hours: int
    legal_working_days: int
    alarm_working_day: int
    manager_after_hours: int | None


@dataclass(frozen=True)
class Clocks:
    ack_due: datetime
    decide_due: datetime
    alarm_at: datetime  # 00:00 of working day ``alarm_working_day`` after the day it was raised
    legal_due: datetime  # 24:00 of working day ``legal_working_days`` after the day it was raised
    manager_due: datetime | None
    calendar_known: bool


def clocks_for(playbook: PlaybookTimes, raised_at: datetime, tz: ZoneInfo) -> Clocks:
    """The due times of an incident raised at ``raised_at`` at a station in ``tz``.

    Hours run only on working days; the legal days are counted from the day after the day it
    was raised (the day of the complaint is day 0, as the regulator counts).
    """
    legal_due = end_of_working_day(raised_at, playbook.legal_working_days, tz)
    manager = playbook.manager_after_hours
    return Clocks(
        ack_due=add_working_hours(raised_at, playbook.acknowledge_hours, tz),
        decide_due=add_working_hours(raised_at, playbook.decide_hours, tz),
        alarm_at=start_of_working_day(raised_at, playbook.alarm_working_day, tz),
        legal_due=legal_due,
        manager_due=add_working_hours(raised_at, manager, tz) if manager else None,
        calendar_known=calendar_known(raised_at.astimezone(tz).date())
        and calendar_known(legal_due.astimezone(tz).date()),
    )


class IncidentTimes(Protocol):
    ack_due: datetime
    decide_due: datetime
    alarm_at: datetime
    legal_due: datetime
    manager_due: datetime | None
    acknowledged_at: datetime | None


def all_steps(incident: IncidentTimes) -> list[tuple[datetime, str]]:
    """Every escalation step of an unresolved incident with its due time, by due time (the
    acknowledgement step only while nobody has acknowledged it)."""
    steps = [
        (incident.decide_due, Escalation.DECIDE_OVERDUE),
        (incident.alarm_at, Escalation.LEGAL_ALARM),
        (incident.legal_due, Escalation.LEGAL_OVERDUE),
    ]
    if incident.acknowledged_at is None:
        steps.append((incident.ack_due, Escalation.ACK_OVERDUE))
    if incident.manager_due is not None:
        steps.append((incident.manager_due, Escalation.STATION_MANAGER))
    return sorted(steps)


def steps_due(incident: IncidentTimes, now: datetime) -> list[tuple[datetime, str]]:
    """The escalation steps whose time has come at ``now``, by due time."""
    return [(due, step) for due, step in all_steps(incident) if due <= now]


def next_due(incident: IncidentTimes, done: set[str]) -> datetime | None:
    """When the engine must look at the incident again: its earliest step not recorded yet
    (``done``), or None when every step is behind it."""
    return min((due for due, step in all_steps(incident) if step not in done), default=None)
