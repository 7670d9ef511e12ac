"""An unresolved loss suspect goes to the station manager after 24 working hours: each manager of the
station is texted once through the notification gateway (to their own number), the incident keeps a
marker the console's incidents page shows and filters, and the API filters on it too. Frozen time
over a weekend, as the playbook timers' own tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from backend.couriers.models import Station
from backend.incidents.models import Incident, IncidentEvent
from backend.incidents.services import incident_raise, incident_timers_tick
from backend.incidents.states import Escalation, EventKind
from backend.notify.gateway import OutboundMessage
from backend.notify.models import Message
from backend.notify.services import message_send
from backend.notify.states import MessageStatus
from tests.backend.api.conftest import Api
from tests.backend.incidents.conftest import incident_input
from tests.clock import station_tz
from tests.fixtures.people import Person, make_manager, make_station

pytestmark = pytest.mark.django_db
TZ = ZoneInfo(station_tz())
RAISED = datetime(2026, 11, 27, 23, 0, tzinfo=TZ)  # a Friday, 23:00
MANAGER_DUE = datetime(2026, 11, 30, 23, 0, tzinfo=TZ)  # 1 h on Friday + Monday's 24, weekend skipped
MINUTE = timedelta(minutes=1)


@pytest.fixture
def api() -> Api:
    return Api()


class Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.sent: list[OutboundMessage] = []

    def send(self, message: OutboundMessage) -> str:
        self.sent.append(message)
        return f"r{len(self.sent)}"


def raise_loss(station: Station, supervisor: Person) -> Incident:
    with time_machine.travel(RAISED, tick=False):
        return incident_raise(station_id=station.pk, data=incident_input("loss"), ctx=supervisor.ctx)


def test_each_manager_of_the_station_is_texted_once_when_a_loss_suspect_reaches_them(
    station: Station, supervisor: Person
) -> None:
    first = make_manager(station, phone="13905710011")
    second = make_manager(station, make_station(), phone="13905710012")
    make_manager(make_station(), phone="13905710013")  # another station's manager hears nothing
    incident = raise_loss(station, supervisor)
    assert incident.manager_due == MANAGER_DUE

    incident_timers_tick(now=MANAGER_DUE - MINUTE)
    assert not Message.objects.filter(user__isnull=False).exists()  # not before its time
    with time_machine.travel(MANAGER_DUE + MINUTE, tick=False):
        incident_timers_tick()
        incident_timers_tick()  # the beat runs again: nobody is texted twice

    messages = list(Message.objects.filter(user__isnull=False).order_by("user_id"))
    assert [m.user_id for m in messages] == [first.user.pk, second.user.pk]
    assert all(m.job_id is None and m.shipment_id is None for m in messages)
    text = messages[0].text
    assert station.code in text and str(incident.pk) in text and "24" in text
    assert f"/console/{station.code}/incidents/?escalated=manager" in text
    escalated = IncidentEvent.objects.get(
        incident=incident, kind=EventKind.ESCALATED, details__step=Escalation.STATION_MANAGER
    )
    assert escalated.details["told"] == [first.user.pk, second.user.pk]
    incident.refresh_from_db()
    assert incident.manager_escalated_at == MANAGER_DUE + MINUTE

    gateway = Recorder()
    for m in messages:
        assert message_send(message_id=m.pk, gateway=gateway).status == MessageStatus.SENT
    assert [o.to for o in gateway.sent] == ["+8613905710011", "+8613905710012"]


def test_a_station_without_a_manager_records_that_nobody_was_texted(
    station: Station, supervisor: Person
) -> None:
    incident = raise_loss(station, supervisor)
    incident_timers_tick(now=MANAGER_DUE + MINUTE)
    event = IncidentEvent.objects.get(incident=incident, details__step=Escalation.STATION_MANAGER)
    assert event.details["told"] == []
    assert not Message.objects.exists()
    incident.refresh_from_db()
    assert incident.manager_escalated_at is not None  # the console still shows it


def test_the_marker_outlives_later_steps_and_the_console_and_api_filter_on_it(
    station: Station, supervisor: Person, api: Api
) -> None:
    manager = make_manager(station)
    escalated = raise_loss(station, supervisor)
    with time_machine.travel(RAISED, tick=False):
        quiet = incident_raise(station_id=station.pk, data=incident_input("damage"), ctx=supervisor.ctx)
    decide_due = datetime(2026, 12, 1, 23, 0, tzinfo=TZ)
    incident_timers_tick(now=decide_due + MINUTE)  # the decide step comes after the manager's
    escalated.refresh_from_db()
    assert escalated.escalation == Escalation.DECIDE_OVERDUE and escalated.manager_escalated_at

    client = Client()
    client.force_login(manager.user)
    with time_machine.travel(decide_due + MINUTE, tick=False):
        everything = client.get(f"/console/{station.code}/incidents/")
        filtered = client.get(f"/console/{station.code}/incidents/", {"escalated": "manager"})
    assert everything.status_code == filtered.status_code == 200
    assert [r.incident.pk for r in everything.context["rows"]] == [escalated.pk, quiet.pk]
    assert [r.incident.pk for r in filtered.context["rows"]] == [escalated.pk]
    html = everything.content.decode()
    assert html.count('class="escalated-manager"') == 1 and "?escalated=manager" in html

    url = f"/api/v1/stations/{station.code}/incidents"
    rows = api.get(url, manager, escalated_to_manager="true").json()
    assert [r["id"] for r in rows] == [escalated.pk] and rows[0]["manager_escalated_at"]
    assert len(api.get(url, supervisor).json()) == 2
