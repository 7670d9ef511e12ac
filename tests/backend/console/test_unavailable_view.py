""" "Courier unavailable" from the console: the planner's preview, a reason, one step through the service."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from django.test import Client

from backend.couriers.models import Courier, DutyStatus, Station
from backend.dispatch.models import AssignmentDecision, DecisionKind, DecisionRule
from backend.shipments.models import Job
from backend.shipments.states import JobStatus
from tests.backend.dispatch.factories import given_to, job_at, refresh
from tests.fixtures.people import Person, make_courier

pytestmark = pytest.mark.django_db


def _url(station: Station, courier: Courier, preview: bool = False) -> str:
    return f"/console/{station.code}/unavailable/{courier.pk}" + ("/preview" if preview else "")


def _preview(client: Client, station: Station, courier: Courier) -> tuple[str, dict[str, str]]:
    answer = client.get(_url(station, courier, preview=True))
    assert answer.status_code == 200, answer.content
    html = answer.content.decode()
    found = re.search(r'data-token="(\w+)" data-jobs="([\d:,]*)"', html)
    assert found is not None
    return html, {"token": found.group(1), "jobs": found.group(2)}


@dataclass(frozen=True)
class Day:
    gone: Courier  # the courier who becomes unavailable
    east: Courier  # the only other courier on duty
    moves: Job  # the east courier can take it
    hopeless: Job  # 400 kg: nobody can


@pytest.fixture
def day(
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> Day:
    gone, east = courier[0], other_courier[0]
    given_to(job_at(station, supervisor.ctx, 3.0), east, supervisor.ctx)
    moves = given_to(job_at(station, supervisor.ctx, 2.0), gone, supervisor.ctx)
    hopeless = given_to(job_at(station, supervisor.ctx, 1.0, weight_g=400_000), gone, supervisor.ctx)
    return Day(gone, east, moves, hopeless)


def test_the_preview_shows_what_goes_where_the_new_etas_and_what_cannot_be_served(
    client: Client, station: Station, supervisor: Person, day: Day
) -> None:
    moves, hopeless, east = day.moves, day.hopeless, day.east
    client.force_login(supervisor.user)
    html, form = _preview(client, station, day.gone)
    row = re.search(rf'<tr data-job="{moves.pk}".*?</tr>', html, re.S)
    assert row is not None
    assert moves.shipment.tracking_no in row.group(0) and east.name in row.group(0)
    assert re.search(r'class="eta">\d\d:\d\d', row.group(0))  # the ETA on the receiving route
    queued = re.search(r'<ul class="queued">.*?</ul>', html, re.S)
    assert queued is not None and hopeless.shipment.tracking_no in queued.group(0)
    assert sorted(form["jobs"].split(",")) == sorted(
        f"{j.pk}:{refresh(j).version}" for j in (moves, hopeless)
    )
    assert refresh(moves).courier_id == day.gone.pk  # a preview writes nothing


def test_apply_moves_every_job_through_the_reassignment_service_with_its_audit_rows(
    client: Client, station: Station, supervisor: Person, day: Day
) -> None:
    gone, east, moves, hopeless = day.gone, day.east, day.moves, day.hopeless
    client.force_login(supervisor.user)
    _, form = _preview(client, station, gone)
    answer = client.post(_url(station, gone), {**form, "reason": "小张病了"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["moved"] == [moves.pk] and answer.json()["queued"] == [hopeless.pk]
    assert refresh(moves).courier_id == east.pk
    assert (refresh(hopeless).status, refresh(hopeless).courier_id) == (JobStatus.PENDING, None)
    assert Courier.objects.get(pk=gone.pk).duty_status == DutyStatus.UNAVAILABLE
    moved = AssignmentDecision.objects.get(job_id=moves.pk)
    assert (moved.kind, moved.rule, moved.prev_courier_id, moved.actor_id) == (
        DecisionKind.SUPERVISOR,
        DecisionRule.COURIER_UNAVAILABLE,
        gone.pk,
        supervisor.user.pk,
    )
    assert moved.reason.startswith("小张病了 — ") and moved.added_m is not None
    assert AssignmentDecision.objects.get(job_id=hopeless.pk).rule == DecisionRule.QUEUED


def test_a_reason_is_required_and_nothing_changes_without_one(
    client: Client, station: Station, supervisor: Person, day: Day
) -> None:
    client.force_login(supervisor.user)
    _, form = _preview(client, station, day.gone)
    answer = client.post(_url(station, day.gone), {**form, "reason": "  "})
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid" and answer.json()["message"] == "必须填写原因。"  # the default
    client.cookies["django_language"] = "en"
    answer = client.post(_url(station, day.gone), {**form, "reason": ""})
    assert (answer.status_code, answer.json()["message"]) == (400, "A reason is required.")
    assert Courier.objects.get(pk=day.gone.pk).duty_status == DutyStatus.ON_DUTY


def test_a_preview_overtaken_by_events_is_refused_whole(
    client: Client, station: Station, supervisor: Person, day: Day
) -> None:
    gone = day.gone
    client.force_login(supervisor.user)
    _, form = _preview(client, station, gone)
    late = given_to(job_at(station, supervisor.ctx, 1.5), gone, supervisor.ctx)
    answer = client.post(_url(station, gone), {**form, "reason": "sick"})
    assert answer.status_code == 409
    assert answer.json()["code"] == "reassign_conflict"
    assert [c["job_id"] for c in answer.json()["details"]["conflicts"]] == [late.pk]
    assert refresh(day.moves).courier_id == gone.pk


def test_another_station_s_courier_is_not_found_and_a_post_needs_csrf(
    station: Station,
    other_station: Station,
    supervisor: Person,
    day: Day,
) -> None:
    stranger = make_courier(other_station)[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(supervisor.user)
    assert client.get(_url(station, stranger, preview=True)).status_code == 404
    assert client.get(_url(other_station, day.gone, preview=True)).status_code == 404
    answer = client.post(_url(station, day.gone), {"reason": "x", "jobs": "", "token": "t"})
    assert answer.status_code == 403
    assert Courier.objects.get(pk=day.gone.pk).duty_status == DutyStatus.ON_DUTY


def test_a_preview_the_other_routes_outdated_is_refused_with_the_reason_in_the_supervisor_s_language(
    client: Client, station: Station, supervisor: Person, day: Day
) -> None:
    client.force_login(supervisor.user)
    _, form = _preview(client, station, day.gone)
    Courier.objects.filter(pk=day.east.pk).update(duty_status=DutyStatus.OFF_DUTY)  # the only taker left
    client.cookies["django_language"] = "en"
    answer = client.post(_url(station, day.gone), {**form, "reason": "sick"})
    assert answer.status_code == 409
    assert answer.json()["code"] == "preview_stale"
    assert answer.json()["message"].startswith("The other couriers' routes changed since the preview.")
    assert refresh(day.moves).courier_id == day.gone.pk
    assert Courier.objects.get(pk=day.gone.pk).duty_status == DutyStatus.ON_DUTY
