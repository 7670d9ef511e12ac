"""Reassigning from the console: a form, a reason, and the one reassignment service."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from backend.couriers.models import Courier, Station
from backend.dispatch.models import AssignmentDecision, DecisionKind
from backend.realtime.selectors import feed_head
from backend.shipments.models import Job
from backend.shipments.services import job_accept, job_assign, job_deliver, job_start, scan
from backend.shipments.services.door_inputs import ProofInput
from tests.fixtures.jobs import make_job
from tests.fixtures.people import Person

pytestmark = pytest.mark.django_db


def _post(client: Client, station: Station, **data: object) -> object:
    return client.post(f"/console/{station.code}/reassign", data)


def test_it_moves_the_jobs_and_records_who_and_why(
    client: Client,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a = job_assign(job_id=make_job(station, supervisor.ctx).pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    b = make_job(station, supervisor.ctx)
    client.force_login(supervisor.user)
    answer = _post(
        client,
        station,
        courier=other_courier[0].pk,
        reason="小王病了",
        jobs=f"{a.pk}:{a.version},{b.pk}:{b.version}",
    )
    assert answer.status_code == 200, answer.content  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert [m["job_id"] for m in body["moved"]] == sorted([a.pk, b.pk])
    assert set(Job.objects.filter(pk__in=[a.pk, b.pk]).values_list("courier_id", flat=True)) == {
        other_courier[0].pk
    }
    decisions = AssignmentDecision.objects.filter(job_id__in=[a.pk, b.pk])
    assert {(d.kind, d.reason, d.actor_id) for d in decisions} == {
        (DecisionKind.SUPERVISOR, "小王病了", supervisor.user.pk)
    }


def test_the_answer_carries_the_partial_the_page_would_fetch_for_the_moved_jobs(
    client: Client,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a = job_assign(job_id=make_job(station, supervisor.ctx).pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    b = make_job(station, supervisor.ctx)
    client.force_login(supervisor.user)
    head = feed_head()
    answer = _post(
        client,
        station,
        courier=other_courier[0].pk,
        reason="rebalance",
        jobs=f"{a.pk}:{a.version},{b.pk}:{b.version}",
    )
    assert answer.status_code == 200, answer.content  # type: ignore[attr-defined]
    html = answer.json()["changes"]  # type: ignore[attr-defined]
    # Read after the move's commit: its cursor is past the move's own feed rows, so the page skips
    # the job.assigned messages that follow instead of fetching these cards again.
    cursor = int(re.search(r'data-cursor="(\d+)"', html).group(1))  # type: ignore[union-attr]
    assert cursor > head and cursor == feed_head()
    lane = f"courier-{other_courier[0].pk}"
    for job in (a, b):
        version = Job.objects.get(pk=job.pk).version
        assert f'data-job="{job.pk}" data-version="{version}" data-lane="{lane}"' in html
    rows = json.loads(re.search(r'id="changes-stops" type="application/json">(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    assert {(r[0], r[1]) for r in rows} == {(a.pk, lane), (b.pk, lane)}
    assert f'data-lane-head="{lane}"' in html and 'data-lane-head="unassigned"' in html


def test_the_answer_is_cut_to_the_lanes_the_move_touched_and_the_cards_the_page_shows(
    client: Client,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    a = job_assign(job_id=make_job(station, supervisor.ctx).pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    b = make_job(station, supervisor.ctx)
    client.force_login(supervisor.user)
    jobs = f"{a.pk}:{a.version},{b.pk}:{b.version}"
    # The page shows none of the receiving lane's cards (a long lane, "more" not clicked yet).
    answer = _post(client, station, courier=other_courier[0].pk, reason="rebalance", jobs=jobs, shown=0)
    assert answer.status_code == 200, answer.content  # type: ignore[attr-defined]
    html = answer.json()["changes"]  # type: ignore[attr-defined]
    assert 'class="card' not in html  # no card lands among those shown …
    rows = json.loads(re.search(r'id="changes-stops" type="application/json">(.*?)</script>', html).group(1))  # type: ignore[union-attr]
    assert {r[0] for r in rows} == {a.pk, b.pk}  # … but the page's model learns every job
    # The heads of the lanes left (a's courier, the queue) and joined; no other, and it says so.
    heads = set(re.findall(r'data-lane-head="([^"]+)"', html))
    assert heads == {f"courier-{courier[0].pk}", "unassigned", f"courier-{other_courier[0].pk}"}
    assert "data-whole" not in html


def test_a_reason_is_required(
    client: Client, station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx)
    client.force_login(supervisor.user)
    answer = _post(client, station, courier=courier[0].pk, reason="   ", jobs=f"{job.pk}:{job.version}")
    assert answer.status_code == 400  # type: ignore[attr-defined]
    assert answer.json()["details"]["fields"].keys() == {"reason"}  # type: ignore[attr-defined]
    assert Job.objects.get(pk=job.pk).courier_id is None


def test_a_stale_version_and_a_job_completed_meanwhile_come_back_as_conflicts(
    client: Client,
    station: Station,
    supervisor: Person,
    courier: tuple[Courier, Person],
    other_courier: tuple[Courier, Person],
) -> None:
    seen = job_assign(
        job_id=make_job(station, supervisor.ctx).pk, courier_id=courier[0].pk, ctx=supervisor.ctx
    )
    job_accept(job_id=seen.pk, ctx=courier[1].ctx)  # moved on since the supervisor loaded the board
    done = make_job(station, supervisor.ctx)
    scan(tracking_no=done.shipment.tracking_no, scan_kind="station_in", ctx=supervisor.ctx)
    done = job_assign(job_id=done.pk, courier_id=courier[0].pk, ctx=supervisor.ctx)
    job_start(job_id=done.pk, ctx=courier[1].ctx)
    proof = ProofInput(method="photo", recipient_relation="self", media_sha256=["ab" * 32])
    job_deliver(job_id=done.pk, ctx=courier[1].ctx, proof=proof)  # delivered while the supervisor looked
    client.force_login(supervisor.user)
    jobs = f"{seen.pk}:{seen.version},{done.pk}:{done.version}"
    answer = _post(client, station, courier=other_courier[0].pk, reason="late", jobs=jobs)
    assert answer.status_code == 409  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    assert body["code"] == "reassign_conflict"
    codes = {(c["job_id"], c["code"]) for c in body["details"]["conflicts"]}
    assert codes == {(seen.pk, "version_conflict"), (done.pk, "already_done")}
    assert (
        list(Job.objects.filter(pk__in=[seen.pk, done.pk]).values_list("courier_id", flat=True))
        == [courier[0].pk] * 2
    )


def test_another_station_s_supervisor_cannot_move_our_jobs(
    client: Client,
    station: Station,
    other_station: Station,
    supervisor: Person,
    other_supervisor: Person,
    courier: tuple[Courier, Person],
) -> None:
    job = make_job(station, supervisor.ctx)
    client.force_login(other_supervisor.user)
    assert _post(client, station, courier=courier[0].pk, reason="x", jobs=f"{job.pk}:1").status_code == 404  # type: ignore[attr-defined]
    answer = _post(client, other_station, courier=courier[0].pk, reason="x", jobs=f"{job.pk}:1")
    assert answer.status_code in (403, 404)  # type: ignore[attr-defined]
    assert Job.objects.get(pk=job.pk).courier_id is None


def test_the_post_needs_the_csrf_token(
    station: Station, supervisor: Person, courier: tuple[Courier, Person]
) -> None:
    job = make_job(station, supervisor.ctx)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(supervisor.user)
    answer = strict.post(
        f"/console/{station.code}/reassign", {"courier": courier[0].pk, "reason": "x", "jobs": f"{job.pk}:1"}
    )
    assert answer.status_code == 403
