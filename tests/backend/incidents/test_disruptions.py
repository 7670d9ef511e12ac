"""Disruptions through the supervisors' REST endpoints: declaring one holds the area's open jobs
(taken back from their couriers, who are re-planned; customers told), auto-assignment and the
station plan skip them; lifting releases them, places them on routes again and tells customers."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client

from backend.broadcast.envelope import envelope
from backend.common.errors import DomainError
from backend.couriers.models import Courier, Station
from backend.dispatch.services import auto_assign
from backend.incidents.models import DisruptionHold
from backend.notify.models import Message
from backend.realtime.validation import validate
from backend.shipments.models import FeedEntry
from backend.shipments.services import followups, job_accept, job_start, scan
from backend.shipments.states import JobStatus
from tests.backend.dispatch.factories import at, given_to, job_at, refresh
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db
NOW = at(9, 0)
AREA = "杭州市西湖区教工路"


def post(person: Person, url: str, body: dict[str, Any] | None = None) -> Any:
    return Client().post(url, body or {}, content_type="application/json", **person.auth)


def test_declare_holds_the_area_and_lift_releases_and_replans(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    replans: list[tuple[Any, ...]] = []

    class Sig:
        def __init__(self, name: str, args: tuple[Any, ...]) -> None:
            self.call = (name, *args)

        def delay(self) -> None:
            replans.append(self.call)

    monkeypatch.setattr(followups, "_enabled", lambda: True)
    monkeypatch.setattr(followups, "signature", Sig)
    monkeypatch.setattr(followups, "_replan_open", None)  # every ask as a task, here recorded
    c, courier_person = courier
    with time_machine.travel(NOW, tick=False):
        inside = given_to(job_at(station, supervisor.ctx, 2.0, address=f"{AREA}5号"), c, supervisor.ctx)
        queued = job_at(station, supervisor.ctx, 2.5, address=f"{AREA}7号")
        pickup = job_at(station, supervisor.ctx, 1.0, kind="pickup", address=f"{AREA}9号")
        outside = given_to(
            job_at(station, supervisor.ctx, 1.0, address="杭州市西湖区文三路3号"), c, supervisor.ctx
        )
        started = given_to(job_at(station, supervisor.ctx, 1.5, address=f"{AREA}11号"), c, supervisor.ctx)
        scan(tracking_no=started.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
        job_accept(job_id=started.pk, ctx=courier_person.ctx)
        job_start(job_id=started.pk, ctx=courier_person.ctx)
        replans.clear()

        with django_capture_on_commit_callbacks(execute=True):
            declared = post(
                supervisor,
                f"/api/v1/stations/{station.code}/disruptions",
                {"kind": "road_closure", "level": 3, "reason": "教工路封路", "address_prefixes": [AREA]},
            )
        assert declared.status_code == 201, declared.content
        body = declared.json()
        # Level III holds deliveries only; the started one is left to its courier.
        assert body["held_jobs"] == sorted([inside.pk, queued.pk])
        for job in (inside, queued):
            held = refresh(job)
            assert (held.on_hold, held.status, held.courier_id) == (True, JobStatus.PENDING, None)
        assert refresh(outside).courier_id == c.pk and not refresh(pickup).on_hold
        assert refresh(started).status == JobStatus.STARTED
        assert ("dispatch.replan_courier", c.pk, "job unassigned") in replans  # the courier re-planned
        notices = Message.objects.filter(trigger="disruption", occasion=f"d{body['id']}")
        assert sorted(notices.values_list("job_id", flat=True)) == sorted([inside.pk, queued.pk])
        with pytest.raises(DomainError) as refused:
            auto_assign(job_id=queued.pk, ctx=supervisor.ctx, now=NOW)
        assert refused.value.code == "job_on_hold"

        listed = Client().get(f"/api/v1/stations/{station.code}/disruptions", **supervisor.auth).json()
        assert [d["id"] for d in listed] == [body["id"]]

        with django_capture_on_commit_callbacks(execute=True):
            lifted = post(supervisor, f"/api/v1/disruptions/{body['id']}/lift")
        assert lifted.status_code == 200, lifted.content
        result = lifted.json()
        assert sorted(result["released_jobs"]) == sorted([inside.pk, queued.pk])
        assert sorted(result["reassigned_jobs"]) == sorted([inside.pk, queued.pk])
        for job in (inside, queued):
            back = refresh(job)
            assert not back.on_hold and back.courier_id == c.pk and back.status == JobStatus.ASSIGNED
            assert back.planned_seq is not None  # placed on the route again
        assert not DisruptionHold.objects.filter(released_at=None).exists()
        assert Message.objects.filter(trigger="disruption_end").count() == 2
        announced = FeedEntry.objects.filter(kind="disruption.changed").order_by("cursor")
        assert [r.payload["disruption"]["lifted_at"] is None for r in announced] == [True, False]
        for r in announced:
            validate(envelope(r.kind, r.cursor, r.created_at.isoformat(), r.payload))
        again = post(supervisor, f"/api/v1/disruptions/{body['id']}/lift")
        assert (again.status_code, again.json()["code"]) == (409, "disruption_lifted")


def test_levels_i_and_ii_hold_pickups_and_a_zone_names_the_area(
    station: Station, supervisor: Person, other_supervisor: Person
) -> None:
    from backend.couriers.services import zone_create

    zone_create(
        station_id=station.pk,
        code="Z9",
        name="教工路",
        address_prefixes=[AREA],
        postcodes=[],
        courier_id=None,
    )
    with time_machine.travel(NOW, tick=False):
        pickup = job_at(station, supervisor.ctx, 1.0, kind="pickup", address=f"{AREA}9号")
        declared = post(
            supervisor,
            f"/api/v1/stations/{station.code}/disruptions",
            {"kind": "typhoon", "level": 1, "reason": "台风红色预警", "zone_code": "Z9"},
        )
        assert declared.status_code == 201, declared.content
        assert declared.json()["held_jobs"] == [pickup.pk]
        nowhere = post(
            supervisor,
            f"/api/v1/stations/{station.code}/disruptions",
            {"kind": "flood", "level": 2, "reason": "x"},
        )
        other = post(
            other_supervisor,
            f"/api/v1/stations/{station.code}/disruptions",
            {"kind": "flood", "level": 2, "reason": "x", "address_prefixes": [AREA]},
        )
        lift_other = post(other_supervisor, f"/api/v1/disruptions/{declared.json()['id']}/lift")
    assert (nowhere.status_code, nowhere.json()["code"]) == (400, "area_required")
    assert other.status_code in (403, 404) and lift_other.status_code == 403
