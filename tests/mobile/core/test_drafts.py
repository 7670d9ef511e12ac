"""A failed attempt half recorded when the app is killed resumes from its draft and is recorded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from mobile.core import Config, Core
from mobile.flows.failed_attempt import Step
from mobile.offline import drafts, outbox
from tests.mobile.core.helpers import JPEG, Network, make_world

pytestmark = pytest.mark.django_db
PASSWORD = "courier-pass-1"


def handheld(tmp_path: Path, net: Network) -> Core:
    return Core(Config(data_dir=tmp_path / "phone", pbkdf2_iterations=1000), connect=net.connect)


def fail_ops(core: Core) -> list[outbox.OutboxOp]:
    assert core.store is not None
    return [o for o in outbox.all_ops(core.store) if o.kind == "fail"]


def test_a_kill_mid_flow_loses_nothing_and_records_once(tmp_path: Path) -> None:
    world, net = make_world(), Network()
    job = world["deliveries"][0].pk
    first = handheld(tmp_path, net)
    first.login(world["courier"].employee_no, PASSWORD)
    net.up = False  # at the door, no signal
    flow = first.begin_fail(job)
    flow.choose_reason("no_such_person")
    flow.add_photo(JPEG, "image/jpeg")
    flow.log_call("no_answer", 0)
    flow.set_note("门卫说没这个人")
    # Killed here: nothing of ``first`` is closed or finished; what it wrote is all there is.
    second = handheld(tmp_path, net)
    assert second.resume() and second.resume_drafts() == "fail"
    resumed = second.failure
    assert resumed is not None and int(resumed.job["id"]) == job and resumed.step is Step.EVIDENCE
    d = resumed.draft
    assert (d.reason, d.photos, [c.outcome for c in d.calls], d.note) == (
        "no_such_person",
        [(JPEG, "image/jpeg")],
        ["no_answer"],
        "门卫说没这个人",
    )
    assert resumed.submit_evidence() is Step.NEXT_STEP
    resumed.choose_next("hold_station")
    assert resumed.confirm() is Step.DONE
    second.finish_fail()
    third = handheld(tmp_path, net)  # and once more: nothing left to resume, one attempt recorded
    assert third.resume() and third.resume_drafts() is None
    (op,) = fail_ops(third)
    assert op.payload["reason_code"] == "no_such_person" and len(op.payload["photo_sha256"]) == 1


def test_backing_out_before_a_reason_leaves_no_draft(tmp_path: Path) -> None:
    world, net = make_world(), Network()
    core = handheld(tmp_path, net)
    core.login(world["courier"].employee_no, PASSWORD)
    core.begin_fail(world["deliveries"][0].pk)
    assert core.store is not None and drafts.load(core.store, "fail") is not None
    core.abandon_fail()
    assert drafts.load(core.store, "fail") is None and core.resume_drafts() is None


def test_bytes_survive_the_json_of_a_draft() -> None:
    data = {"photos": [(b"\x00\xffjpeg", "image/jpeg")], "n": 1, "nested": {"b": b"x"}}
    assert drafts.decode(drafts.encode(data)) == {
        "photos": [[b"\x00\xffjpeg", "image/jpeg"]],
        "n": 1,
        "nested": {"b": b"x"},
    }


def test_a_delivery_killed_after_the_cash_was_taken_resumes_with_it(tmp_path: Path) -> None:
    from backend.shipments.models import Shipment
    from mobile.flows.delivery import Step as DStep

    world, net = make_world(), Network()
    job = world["deliveries"][0]
    Shipment.objects.filter(pk=job.shipment_id).update(cod_amount_fen=12_50)  # cash on delivery
    first = handheld(tmp_path, net)
    first.login(world["courier"].employee_no, PASSWORD)
    net.up = False
    flow = first.begin_delivery(job.pk, scanned=job.shipment.tracking_no)
    flow.confirm_cod()
    flow.add_photo(JPEG, "image/jpeg")
    flow.choose_relation("family")
    flow.set_recipient_name("李梅")
    second = handheld(tmp_path, net)  # killed: the second app finds the draft
    assert second.resume() and second.resume_drafts() == "deliver"
    resumed = second.delivery
    assert resumed is not None and resumed.step is DStep.PROOF
    d = resumed.draft
    assert (d.cod_collected, d.photos, d.relation, d.recipient_name) == (
        True,
        [(JPEG, "image/jpeg")],
        "family",
        "李梅",
    )
    resumed.choose_method("photo")
    assert resumed.confirm() is DStep.DONE
    second.finish_delivery()
    third = handheld(tmp_path, net)
    assert third.resume() and third.resume_drafts() is None
    assert third.store is not None
    (op,) = [o for o in outbox.all_ops(third.store) if o.kind == "deliver"]
    assert op.payload["proof"]["cod_collected_fen"] == 12_50
