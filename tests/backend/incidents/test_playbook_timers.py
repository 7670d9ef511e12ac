"""Each playbook's clocks, run by the engine at frozen instants over a weekend and over the 2026
National Day holiday (with its make-up Saturday): acknowledge in 2 working hours, decide in 48,
the alarm on working day 5 of 7, the legal deadline, and a loss suspect to the station manager
after 24 working hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.couriers.models import Station
from backend.incidents.models import IncidentEvent
from backend.incidents.services import incident_raise, incident_resolve, incident_timers_tick
from backend.incidents.services.incidents import Decision
from backend.incidents.states import Escalation, EventKind, IncidentType
from tests.backend.incidents.conftest import incident_input
from tests.clock import station_tz
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db
TZ = ZoneInfo(station_tz())


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)  # type: ignore[misc]


@dataclass(frozen=True)
class Scenario:
    raised: datetime
    ack_due: datetime
    decide_due: datetime
    alarm_at: datetime
    legal_due: datetime
    manager_due: datetime  # for the loss playbook


SCENARIOS = {
    # Friday 23:00: one hour that day, then Saturday and Sunday do not count.
    "weekend": Scenario(
        raised=at(2026, 11, 27, 23, 0),
        ack_due=at(2026, 11, 30, 1, 0),
        decide_due=at(2026, 12, 1, 23, 0),
        alarm_at=at(2026, 12, 4, 0, 0),  # Mon 1, Tue 2, Wed 3, Thu 4, Fri 5
        legal_due=at(2026, 12, 9, 0, 0),  # … Mon 6, Tue 7 ends
        manager_due=at(2026, 11, 30, 23, 0),
    ),
    # The evening before National Day: Oct 1–7 are off, Saturday Oct 10 is worked.
    "national_day": Scenario(
        raised=at(2026, 9, 30, 23, 0),
        ack_due=at(2026, 10, 8, 1, 0),
        decide_due=at(2026, 10, 9, 23, 0),  # 1 (Sep 30) + 24 (Oct 8) + 23 (Oct 9)
        alarm_at=at(2026, 10, 13, 0, 0),  # Oct 8 1, 9 2, 10 3, 12 4, 13 5
        legal_due=at(2026, 10, 16, 0, 0),  # Oct 14 6, 15 7 ends
        manager_due=at(2026, 10, 8, 23, 0),
    ),
}


def steps(incident_id: int) -> list[str]:
    return list(
        IncidentEvent.objects.filter(incident_id=incident_id, kind=EventKind.ESCALATED)
        .order_by("pk")
        .values_list("details__step", flat=True)
    )


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("kind", IncidentType.values)
def test_each_playbook_runs_its_clocks_on_working_days(
    kind: str, scenario: str, station: Station, supervisor: Person
) -> None:
    s = SCENARIOS[scenario]
    with time_machine.travel(s.raised, tick=False):
        incident = incident_raise(station_id=station.pk, data=incident_input(kind), ctx=supervisor.ctx)
    assert (incident.ack_due, incident.decide_due) == (s.ack_due, s.decide_due)
    assert (incident.alarm_at, incident.legal_due) == (s.alarm_at, s.legal_due)
    assert incident.manager_due == (s.manager_due if kind == IncidentType.LOSS else None)
    assert incident.calendar_known and incident.next_due == s.ack_due  # what the sweep reads

    minute = timedelta(minutes=1)
    assert incident_timers_tick(now=s.ack_due - minute) == 0
    with time_machine.travel(s.ack_due + minute, tick=False):
        assert incident_timers_tick() == 1  # the beat task's path: the clock, frozen
    assert steps(incident.pk) == [Escalation.ACK_OVERDUE]
    incident_timers_tick(now=s.alarm_at + minute)
    manager = [Escalation.STATION_MANAGER] if kind == IncidentType.LOSS else []  # after 24 h, before 48
    assert steps(incident.pk) == [
        Escalation.ACK_OVERDUE,
        *manager,
        Escalation.DECIDE_OVERDUE,
        Escalation.LEGAL_ALARM,
    ]
    assert incident_timers_tick(now=s.alarm_at + minute) == 0  # twice: once
    assert incident_timers_tick(now=s.legal_due) == 1
    incident.refresh_from_db()
    assert (incident.escalation, incident.next_due) == (Escalation.LEGAL_OVERDUE, None)


def test_acknowledged_in_time_and_decided_stops_the_clocks(station: Station, supervisor: Person) -> None:
    s = SCENARIOS["national_day"]
    from backend.incidents.services import incident_acknowledge

    with time_machine.travel(s.raised, tick=False):
        incident = incident_raise(station_id=station.pk, data=incident_input("loss"), ctx=supervisor.ctx)
    incident_acknowledge(incident_id=incident.pk, ctx=supervisor.ctx, now=s.ack_due - timedelta(minutes=5))
    incident_timers_tick(now=s.manager_due + timedelta(minutes=1))
    assert steps(incident.pk) == [Escalation.STATION_MANAGER]  # no ack_overdue: acknowledged in time
    incident_resolve(
        incident_id=incident.pk,
        decision=Decision(resolution="compensated", amount_fen=12_50, liable_party="station"),
        ctx=supervisor.ctx,
        now=s.decide_due - timedelta(hours=1),
    )
    assert incident_timers_tick(now=s.legal_due + timedelta(days=3)) == 0
    assert steps(incident.pk) == [Escalation.STATION_MANAGER]


def test_a_clock_past_the_calendar_is_flagged(station: Station, supervisor: Person) -> None:
    with time_machine.travel(at(2026, 12, 28, 10, 0), tick=False):  # its 7 working days reach 2027
        incident = incident_raise(station_id=station.pk, data=incident_input("delay"), ctx=supervisor.ctx)
    assert not incident.calendar_known
    assert incident.legal_due == at(2027, 1, 7, 0, 0)  # Mon–Fri assumed: Dec 29, 30, 31, Jan 1, 4, 5, 6
