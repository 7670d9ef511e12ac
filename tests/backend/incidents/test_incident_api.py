"""Incidents raised by a supervisor (REST) and by a courier (a sync op, offline too), then
acknowledged and decided within the playbook's allowed resolutions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from backend.broadcast.envelope import envelope
from backend.couriers.models import Courier, Station
from backend.incidents.models import Incident, IncidentEvent
from backend.incidents.states import EventKind, IncidentState, Source
from backend.notify.models import Message
from backend.realtime.validation import validate
from backend.shipments.models import FeedEntry
from parcelkit.ops import incident_payload
from tests.backend.sync.helpers import op, outcomes, push
from tests.clock import station_tz
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo(station_tz()))


def post(person: Person, url: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return Client().post(url, body or {}, content_type="application/json", **person.auth, **headers)


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def test_a_supervisor_raises_acknowledges_and_compensates(station: Station, supervisor: Person) -> None:
    job = make_job(station, supervisor.ctx)
    url = f"/api/v1/stations/{station.code}/incidents"
    no_photo = post(supervisor, url, {"incident_type": "damage", "job_id": job.pk, "description": "压坏"})
    assert (no_photo.status_code, no_photo.json()["code"]) == (400, "evidence_missing")
    body = {"incident_type": "damage", "job_id": job.pk, "description": "压坏", "photo_sha256": ["c" * 64]}
    raised = post(supervisor, url, body, HTTP_IDEMPOTENCY_KEY="k-1")
    twice = post(supervisor, url, body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert raised.status_code == 201 and twice.json()["id"] == raised.json()["id"]
    incident_id = raised.json()["id"]
    assert raised.json()["shipment"] == job.shipment_id and raised.json()["source"] == Source.SUPERVISOR
    assert [i["id"] for i in Client().get(url, **supervisor.auth).json()] == [incident_id]

    assert post(supervisor, f"/api/v1/incidents/{incident_id}/acknowledge").status_code == 200
    found = post(supervisor, f"/api/v1/incidents/{incident_id}/resolve", {"resolution": "found"})
    assert (found.status_code, found.json()["code"]) == (409, "resolution_not_allowed")  # damage: not "found"
    no_party = post(
        supervisor,
        f"/api/v1/incidents/{incident_id}/resolve",
        {"resolution": "compensated", "amount_fen": 3000},
    )
    assert (no_party.status_code, no_party.json()["code"]) == (400, "invalid")
    paid = post(
        supervisor,
        f"/api/v1/incidents/{incident_id}/resolve",
        {"resolution": "compensated", "amount_fen": 3000, "liable_party": "carrier", "note": "保价赔付"},
    )
    assert paid.status_code == 200, paid.content
    assert (paid.json()["state"], paid.json()["amount_fen"]) == (IncidentState.RESOLVED, 3000)
    # The customer was told when it was registered and when it was decided.
    told = Message.objects.filter(job=job, occasion=f"i{incident_id}").order_by("pk")
    assert list(told.values_list("trigger", flat=True)) == ["incident", "incident_done"]
    closed = post(supervisor, f"/api/v1/incidents/{incident_id}/resolve", {"resolution": "closed"})
    assert (closed.status_code, closed.json()["code"]) == (409, "incident_closed")
    kinds = list(IncidentEvent.objects.filter(incident_id=incident_id).values_list("kind", flat=True))
    assert kinds == [
        EventKind.RAISED,
        EventKind.NOTIFIED,
        EventKind.ACKNOWLEDGED,
        EventKind.RESOLVED,
        EventKind.NOTIFIED,
    ]
    assert Client().get(url, **supervisor.auth).json() == []
    # The station was told at each step, in the realtime catalogue's shape.
    rows = FeedEntry.objects.filter(kind="incident.changed").order_by("cursor")
    assert [r.payload["incident"]["state"] for r in rows] == ["open", "acknowledged", "resolved"]
    for r in rows:
        assert r.station_id == station.pk
        validate(envelope(r.kind, r.cursor, r.created_at.isoformat(), r.payload))


def test_another_station_and_a_courier_are_refused(
    station: Station, supervisor: Person, other_supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    url = f"/api/v1/stations/{station.code}/incidents"
    body = {"incident_type": "weather_road", "description": "积水"}
    assert post(other_supervisor, url, body).status_code in (403, 404)
    assert post(courier[1], url, body).status_code == 403
    raised = post(supervisor, url, body)
    assert post(other_supervisor, f"/api/v1/incidents/{raised.json()['id']}/acknowledge").status_code == 403


def test_a_courier_reports_offline_and_the_op_applies_once(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx)
    payload = incident_payload("vehicle_accident", "电动车被剐蹭", ["d" * 64], job_id=job.pk)
    recorded = op(courier[1], "incident", payload, event_at=NOW - timedelta(hours=3))
    first = push(courier[1], [recorded])
    assert outcomes(first) == [("applied", "")]
    assert first["results"][0]["attachments_missing"] == ["d" * 64]
    assert outcomes(push(courier[1], [recorded]))[0][0] == "duplicate"
    [incident] = Incident.objects.all()
    assert (incident.source, incident.courier_id) == (Source.COURIER, courier[0].pk)
    assert incident.raised_at == NOW - timedelta(hours=3)  # when it happened, not when it synced
    bad = push(courier[1], [op(courier[1], "incident", {"incident_type": "alien", "description": ""})])
    assert outcomes(bad) == [("rejected", "malformed_op")]
    no_photo = push(courier[1], [op(courier[1], "incident", incident_payload("damage", "破了", []))])
    assert outcomes(no_photo) == [("rejected", "evidence_missing")]
