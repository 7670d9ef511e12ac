"""Issue 17: a flow at the door survives a real SIGKILL of the app mid-way and is recorded once.

The app's core runs in a subprocess (tests/mobile/core/kill_child.py) with the network down, goes
part-way through a delivery, a failed attempt or a pickup, and is killed with SIGKILL: no cleanup,
no close. A new core on the same data directory resumes the flow from its draft, completes it, and
the outbox holds exactly one op for it; after a sync the server holds exactly one event.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mobile.core import Config, Core
from mobile.flows.delivery import Step as DeliverStep
from mobile.flows.failed_attempt import Step as FailStep
from mobile.flows.pickup import Step as PickupStep
from mobile.offline import drafts, outbox
from tests.mobile.core.helpers import Network, make_world
from tests.mobile.core.kill_child import CONTENTS, JPEG

pytestmark = pytest.mark.django_db
PASSWORD = "courier-pass-1"
ROOT = Path(__file__).parents[3]


def handheld(data_dir: Path, net: Network) -> Core:
    return Core(Config(data_dir=data_dir, pbkdf2_iterations=1000), connect=net.connect)


def killed_mid_flow(data_dir: Path, flow: str, job_id: int, tracking_no: str = "") -> list[str]:
    """Run the child until it holds mid-flow, SIGKILL it; the steps it reported."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.mobile.core.kill_child", str(data_dir), flow, str(job_id), tracking_no],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # The clock guard's shim (tests/clock.py) stays on the path: the child keeps the suite's instant.
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        },
    )
    assert child.stdout is not None
    lines = []
    for line in child.stdout:
        lines.append(line.strip())
        if line.strip() == "holding":
            break
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL, (lines, child.stderr.read() if child.stderr else "")
    assert lines and lines[-1] == "holding", (lines, child.stderr.read() if child.stderr else "")
    return lines


def logged_in(tmp_path: Path) -> tuple[dict[str, Any], Network, Path]:
    world, net = make_world(), Network()
    data_dir = tmp_path / "phone"
    first = handheld(data_dir, net)
    first.login(world["courier"].employee_no, PASSWORD)  # pulls the day, then the phone goes to the door
    assert first.store is not None
    first.store.close()  # the session stays (a handheld is rarely logged out between two doors)
    net.up = False
    return world, net, data_dir


def resumed(data_dir: Path, net: Network, screen: str) -> Core:
    core = handheld(data_dir, net)
    assert core.resume() and core.resume_drafts() == screen
    return core


def ops(core: Core, kind: str, job_id: int) -> list[outbox.OutboxOp]:
    assert core.store is not None
    return [o for o in outbox.all_ops(core.store) if o.kind == kind and o.job_id == job_id]


def synced_once(core: Core, net: Network, job_id: int, event_kind: str) -> None:
    from backend.shipments.models import TrackingEvent

    net.up = True
    core.sync_now()
    assert core.pending_count() == 0 and not [o for o in core.pending_ops() if o.state == "rejected"]
    assert core.store is not None and core.store.attachments_to_upload() == []  # the photos went too
    assert TrackingEvent.objects.filter(job_id=job_id, kind=event_kind).count() == 1
    again = handheld(core.config.data_dir, net)  # nothing left to resume, nothing pushed twice
    assert again.resume() and again.resume_drafts() is None
    again.sync_now()
    assert TrackingEvent.objects.filter(job_id=job_id, kind=event_kind).count() == 1


def test_a_delivery_killed_mid_flow_resumes_and_is_recorded_once(tmp_path: Path) -> None:
    world, net, data_dir = logged_in(tmp_path)
    job = world["deliveries"][0]
    steps = killed_mid_flow(data_dir, "deliver", job.pk, job.shipment.tracking_no)
    assert steps == ["step photo", "step relation", "step name", "holding"]
    core = resumed(data_dir, net, "deliver")
    flow = core.delivery
    assert flow is not None and flow.step is DeliverStep.PROOF
    assert (flow.draft.photos, flow.draft.relation, flow.draft.recipient_name) == (
        [(JPEG, "image/jpeg")],
        "family",
        "李梅",
    )
    flow.choose_method("photo")
    assert flow.confirm() is DeliverStep.DONE
    core.finish_delivery()
    (op,) = ops(core, "deliver", job.pk)
    assert op.payload["proof"]["recipient_name"] == "李梅"
    assert core.store is not None and drafts.load(core.store, "deliver") is None
    synced_once(core, net, job.pk, "delivered")


def test_a_failed_attempt_killed_mid_flow_resumes_and_is_recorded_once(tmp_path: Path) -> None:
    world, net, data_dir = logged_in(tmp_path)
    job = world["deliveries"][0].pk
    killed_mid_flow(data_dir, "fail", job)
    core = resumed(data_dir, net, "fail")
    flow = core.failure
    assert flow is not None and flow.step is FailStep.EVIDENCE
    assert (flow.draft.reason, len(flow.draft.photos), flow.draft.note) == (
        "no_such_person",
        1,
        "门卫说没这个人",
    )
    assert flow.submit_evidence() is FailStep.NEXT_STEP
    flow.choose_next("hold_station")
    assert flow.confirm() is FailStep.DONE
    core.finish_fail()
    (op,) = ops(core, "fail", job)
    assert op.payload["reason_code"] == "no_such_person" and len(op.payload["photo_sha256"]) == 1
    synced_once(core, net, job, "delivery_attempt")


def test_a_pickup_killed_mid_flow_resumes_with_its_price_and_number_and_is_recorded_once(
    tmp_path: Path,
) -> None:
    import hashlib

    world, net, data_dir = logged_in(tmp_path)
    job = world["pickup"].pk
    killed_mid_flow(data_dir, "pickup", job)
    core = resumed(data_dir, net, "pickup")
    flow = core.pickup
    assert flow is not None and flow.resumed and flow.step is PickupStep.PRINT
    d = flow.draft
    number, price = d.tracking_no, d.quote.total_fen if d.quote else None
    assert number and price and d.payment_method == "wechat" and d.zpl  # as the customer was told
    assert (d.weight_g, d.length_mm, d.declared_value_fen, d.sender_real_name) == (2500, 300, 1500_00, "张三")
    assert d.contents_photo == CONTENTS
    assert flow.submit(print_label=False) is PickupStep.DONE
    core.finish_pickup()
    (op,) = ops(core, "weigh", job)
    assert op.payload["price_fen"] == price
    assert op.payload["contents_photo_sha256"] == hashlib.sha256(CONTENTS).hexdigest()
    assert core.waybills is not None
    synced_once(core, net, job, "pickup_scan")
