"""The local store: an action updates the local view and the outbox in one transaction."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mobile.actions import ActionError, Actions
from mobile.offline import outbox
from mobile.offline.local_state import apply_changes
from mobile.offline.store import Store
from parcelkit.rules.tracking import make_tracking_no

ROOT = Path(__file__).resolve().parents[3]


def _job(job_id: int, status: str = "assigned", version: int = 2, kind: str = "delivery") -> dict:
    return {
        "id": job_id,
        "kind": kind,
        "status": status,
        "version": version,
        "courier_id": 7,
        "shipment": {"id": 100 + job_id, "status": "at_station", "measured_weight_g": None},
    }


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(str(tmp_path / "handheld.sqlite3"), device_id="phone-1")
    with s.tx():
        apply_changes(
            s,
            [
                {"op": "snapshot"},
                {"c": 5, "op": "job", "job": _job(1)},
                {"c": 5, "op": "job", "job": _job(2, kind="pickup")},
            ],
        )
    return s


def test_recording_updates_the_local_view_and_queues_the_op(store: Store) -> None:
    actions = Actions(store)
    first = actions.record_start(1, where={"lat": 30.1, "lng": 120.1})
    actions.record_deliver(
        1,
        {"method": "signature", "recipient_relation": "self", "recipient_name": "李四"},
        files=[(b"\x89PNG\r\n\x1a\nsig", "image/png")],
    )
    job = store.job(1)
    assert job is not None and (job["status"], job["shipment"]["status"]) == ("completed", "delivered")
    ops = outbox.all_ops(store)
    assert [(o.seq, o.kind, o.state) for o in ops] == [(1, "start", "queued"), (2, "deliver", "queued")]
    assert ops[0].op_id == first and ops[0].payload == {"job_id": 1, "lat": 30.1, "lng": 120.1}
    assert len(store.attachments_to_upload()) == 1
    assert outbox.pending_count(store) == 2


def test_a_rejected_op_is_kept_with_its_reason_and_leaves_the_view(store: Store) -> None:
    op_id = Actions(store).record_start(1)
    outbox.record_results(
        store,
        [
            {
                "op_id": op_id,
                "outcome": "rejected",
                "code": "not_assigned_to_you",
                "message": "job 1 is not assigned to you any more",
            }
        ],
    )
    assert [(o.op_id, o.code, o.message) for o in outbox.rejected(store)] == [
        (op_id, "not_assigned_to_you", "job 1 is not assigned to you any more")
    ]
    assert store.job(1)["status"] == "assigned"  # type: ignore[index]
    assert outbox.pending_count(store) == 0


def test_a_pulled_snapshot_does_not_undo_an_op_still_in_flight(store: Store) -> None:
    Actions(store).record_start(1)
    with store.tx():
        apply_changes(store, [{"c": 6, "op": "job", "job": _job(1, version=3) | {"priority": 9}}])
    job = store.job(1)
    assert job is not None and (job["status"], job["priority"]) == ("started", 9)


def test_a_revoked_job_leaves_and_a_snapshot_drops_what_it_lacks(store: Store) -> None:
    with store.tx():
        apply_changes(store, [{"c": 7, "op": "revoke", "job_id": 1}])
    assert store.job_ids() == [2]
    with store.tx():
        apply_changes(store, [{"op": "snapshot"}, {"c": 9, "op": "job", "job": _job(3)}])
    assert store.job_ids() == [3]


def test_a_pulled_scan_sets_the_shipments_status_and_keeps_the_rest(store: Store) -> None:
    with store.tx():
        apply_changes(
            store,
            [
                {"c": 8, "op": "shipment_status", "shipment_id": 101, "status": "out_for_delivery"},
                {"c": 9, "op": "shipment_status", "shipment_id": 999, "status": "held"},
            ],
        )  # not mine
    job = store.job(1)
    assert job is not None and job["shipment"] == {
        "id": 101,
        "status": "out_for_delivery",
        "measured_weight_g": None,
    }
    assert store.job(2)["shipment"]["status"] == "at_station"  # type: ignore[index]


def test_actions_refuse_what_can_be_checked_offline(store: Store) -> None:
    actions = Actions(store)
    with pytest.raises(ActionError) as bad_number:
        actions.record_scan("PR000000000001", "station_in")
    assert bad_number.value.code == "invalid_tracking_no"
    with pytest.raises(ActionError) as not_mine:
        actions.record_start(99)
    assert not_mine.value.code == "not_assigned_to_you"
    with pytest.raises(ActionError) as wrong_kind:
        actions.record_weigh(1, {"measured_weight_g": 100})
    assert wrong_kind.value.code == "wrong_job_kind"
    assert actions.record_scan(make_tracking_no(12), "sorted")
    assert outbox.pending_count(store) == 1


_RECORDER = """
import sys
from mobile.actions import Actions
from parcelkit.rules.tracking import make_tracking_no
from mobile.offline.store import Store
store = Store(sys.argv[1], device_id="phone-1")
actions = Actions(store)
n = 1
while True:
    op_id = actions.record_scan(make_tracking_no(n), "sorted")
    print(op_id, flush=True)  # printed only after the transaction returned
    n += 1
"""


def test_a_battery_pull_while_recording_loses_no_recorded_action(tmp_path: Path) -> None:
    path = str(tmp_path / "crash.sqlite3")
    Store(path, device_id="phone-1").close()
    proc = subprocess.Popen(
        [sys.executable, "-c", _RECORDER, path],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        },
    )
    assert proc.stdout is not None
    confirmed = [proc.stdout.readline().strip() for _ in range(40)]
    time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    confirmed += [line.strip() for line in proc.stdout.read().splitlines() if line.strip()]
    proc.wait()
    store = Store(path, device_id="phone-1")
    ops = outbox.all_ops(store)
    stored = [o.op_id for o in ops]
    assert stored[: len(confirmed)] == confirmed  # every confirmed action survived, in order
    assert [o.seq for o in ops] == list(range(1, len(ops) + 1))  # and no half-written op or lost number
    assert int(store.meta("next_seq") or 0) == len(ops) + 1
    assert all(json.dumps(o.payload) for o in ops)


def test_a_jobs_unsettled_ops_are_found_by_index_not_by_reading_the_whole_outbox(store: Store) -> None:
    from mobile.offline.local_state import UNSETTLED, unsettled_ops

    actions = Actions(store)
    actions.record_start(1)
    for _ in range(50):
        actions.record_location(30.1, 120.1)
    actions.record_arrive(1)
    assert [kind for kind, _ in unsettled_ops(store, 1)] == ["start", "arrive"]
    plan = " ".join(str(row[-1]) for row in store.db.execute(f"EXPLAIN QUERY PLAN {UNSETTLED}", (1,)))
    assert "outbox_job" in plan


def test_an_incident_is_queued_with_its_photos_and_leaves_the_job_alone(store: Store) -> None:
    actions = Actions(store)
    before = store.job(1)
    op_id = actions.record_incident(
        "damage",
        " 外箱压坏 ",
        photos=[(b"\xff\xd8\xffphoto", "image/jpeg")],
        job_id=1,
        where={"lat": 30.1, "lng": 120.1},
    )
    [queued] = [o for o in outbox.all_ops(store) if o.op_id == op_id]
    assert queued.kind == "incident" and store.job(1) == before
    assert queued.payload["incident_type"] == "damage" and queued.payload["description"] == "外箱压坏"
    assert queued.payload["job_id"] == 1 and len(queued.payload["photo_sha256"]) == 1
    assert [sha for sha, _, _ in store.attachments_to_upload()] == queued.payload["photo_sha256"]
    road = actions.record_incident("vehicle_accident", "追尾", photos=[(b"\xff\xd8\xffcar", "image/jpeg")])
    assert "job_id" not in outbox.all_ops(store)[-1].payload and road
    for bad in (
        lambda: actions.record_incident("alien", "x"),
        lambda: actions.record_incident("loss", "x", job_id=99),
    ):
        with pytest.raises(ActionError):
            bad()
