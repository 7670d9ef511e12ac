"""The playbooks are data edited in the admin: a change reaches new incidents, not running ones;
a code typo is refused; incidents and disruptions are read-only there."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from backend.couriers.models import Station
from backend.incidents.models import Incident, Playbook
from backend.incidents.services import incident_raise
from tests.backend.incidents.conftest import incident_input
from tests.clock import station_tz
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db
TZ = ZoneInfo(station_tz())
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


def form(playbook: Playbook, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "required_evidence": '["description"]',
        "notify_supervisor": "on",
        "notify_customer": "on",
        "acknowledge_hours": playbook.acknowledge_hours,
        "decide_hours": playbook.decide_hours,
        "legal_working_days": playbook.legal_working_days,
        "alarm_working_day": playbook.alarm_working_day,
        "manager_after_hours": playbook.manager_after_hours or "",
        "allowed_resolutions": '["found", "closed"]',
    }
    return {**data, **changes}


def test_an_edited_playbook_clocks_new_incidents_only(
    station: Station, supervisor: Person, admin: Person
) -> None:
    browser = Client()
    browser.force_login(admin.user)
    playbook = Playbook.objects.get(incident_type="misdelivery")
    url = reverse("admin:incidents_playbook_change", args=[playbook.pk])
    with time_machine.travel(MONDAY, tick=False):
        before = incident_raise(station_id=station.pk, data=incident_input("misdelivery"), ctx=supervisor.ctx)
        assert browser.get(url).status_code == 200
        typo = browser.post(url, form(playbook, required_evidence='["foto"]'))
        assert (
            typo.status_code == 200 and b"unknown evidence" in typo.content
        )  # the form again, with the error
        saved = browser.post(url, form(playbook, acknowledge_hours=4))
        assert saved.status_code == 302
        after = incident_raise(station_id=station.pk, data=incident_input("misdelivery"), ctx=supervisor.ctx)
    assert before.ack_due == datetime(2026, 11, 23, 11, 0, tzinfo=TZ)
    assert after.ack_due == datetime(2026, 11, 23, 13, 0, tzinfo=TZ)
    before.refresh_from_db()
    assert before.ack_due == datetime(2026, 11, 23, 11, 0, tzinfo=TZ)  # a running clock never moves
    assert Playbook.objects.get(pk=playbook.pk).allowed_resolutions == ["found", "closed"]
    for model in ("playbook", "incident", "disruption"):
        assert browser.get(reverse(f"admin:incidents_{model}_changelist")).status_code == 200
    assert browser.get(reverse("admin:incidents_incident_change", args=[before.pk])).status_code == 200
    assert browser.get(reverse("admin:incidents_incident_add")).status_code == 403
    assert Incident.objects.count() == 2
