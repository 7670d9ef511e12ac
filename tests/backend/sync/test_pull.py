"""Pull: a first snapshot, then every change in scope after the cursor, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from backend.shipments.services import job_assign, job_unassign, scan
from backend.sync.reference import reference_current, reference_publish
from tests.backend.sync.helpers import op, pull, push, ready_job

pytestmark = pytest.mark.django_db


def test_a_first_pull_is_a_snapshot_of_my_jobs(station, courier, other_courier, supervisor) -> None:
    (mine, me), (theirs, _) = courier, other_courier
    jobs = [ready_job(station, supervisor, mine) for _ in range(3)]
    ready_job(station, supervisor, theirs)
    body = pull(me)
    assert body["changes"][0] == {"op": "snapshot"}
    assert sorted(c["job"]["id"] for c in body["changes"][1:]) == [j.pk for j in jobs]
    assert body["more"] is False and body["reset"] is False
    assert set(body["reference"]) == {"reason_codes", "next_steps"}


def test_changes_after_the_cursor_include_revocations_and_scans(
    station, courier, other_courier, supervisor
) -> None:
    (mine, me), (theirs, _) = courier, other_courier
    kept, moved, dropped = (ready_job(station, supervisor, mine) for _ in range(3))
    cursor = pull(me)["cursor"]
    push(me, [op(me, "start", {"job_id": kept.pk})])
    job_assign(job_id=moved.pk, courier_id=theirs.pk, ctx=supervisor.ctx)
    job_unassign(job_id=dropped.pk, ctx=supervisor.ctx, reason="rain")
    scan(tracking_no=kept.shipment.tracking_no, scan_kind="sorted", ctx=supervisor.ctx)
    body = pull(me, cursor)
    assert [
        (c["op"], c.get("job", {}).get("id") or c.get("job_id") or c["shipment_id"]) for c in body["changes"]
    ] == [
        ("job", kept.pk),
        ("revoke", moved.pk),
        ("revoke", dropped.pk),
        ("shipment_status", kept.shipment_id),
    ]
    assert body["changes"][0]["job"]["status"] == "started"
    # A scan carries the status it left, not the whole shipment (started: out for delivery).
    assert {k: v for k, v in body["changes"][3].items() if k != "c"} == {
        "op": "shipment_status",
        "shipment_id": kept.shipment_id,
        "status": "out_for_delivery",
    }
    assert pull(me, body["cursor"])["changes"] == []


def test_pages_follow_each_other_without_loss(station, courier, supervisor) -> None:
    mine, me = courier
    cursor = pull(me)["cursor"]
    jobs = [ready_job(station, supervisor, mine) for _ in range(5)]
    seen: list[int] = []
    while True:
        body = pull(me, cursor, limit=2)
        seen += [c["job"]["id"] for c in body["changes"] if c["op"] == "job"]
        cursor = body["cursor"]
        if not body["more"]:
            break
    assert seen == [j.pk for j in jobs]


def _pull_queries(person, cursor: int | None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = APIClient().get(
            "/api/v1/sync/pull", {} if cursor is None else {"cursor": cursor}, **person.auth
        )
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_query_count_does_not_grow_with_the_jobs(station, courier, supervisor) -> None:
    mine, me = courier
    ready_job(station, supervisor, mine)
    pull(me)  # the token's last-used stamp is written once a minute; take it out of the count
    small = (_pull_queries(me, None), _pull_queries(me, 1))
    for _ in range(30):
        ready_job(station, supervisor, mine)
    assert (_pull_queries(me, None), _pull_queries(me, 1)) == small
    assert small[0] <= 5


def test_reference_lists_come_only_when_their_version_changed(courier) -> None:
    _, me = courier
    held = ",".join(f"{name}:{ref['version']}" for name, ref in reference_current().items())
    assert pull(me, refs=held)["reference"] == {}
    row = reference_publish(name="tariff", data={"version": "2026-11", "tariffs": []})
    assert pull(me, refs=held)["reference"] == {"tariff": {"version": row.version, "data": row.data}}


def test_a_cursor_ahead_of_the_server_starts_again(station, courier, supervisor) -> None:
    mine, me = courier
    ready_job(station, supervisor, mine)
    body = pull(me, 10**9)
    assert body["reset"] is True and body["changes"][0] == {"op": "snapshot"}


def test_pull_refuses_a_bad_cursor(courier) -> None:
    _, me = courier
    response = APIClient().get("/api/v1/sync/pull", {"cursor": "-1"}, **me.auth)
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
