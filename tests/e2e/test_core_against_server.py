"""The app core against a real backend process (daphne, PostgreSQL) over a cable that is pulled.

The courier logs in and loads the van online, the cable is cut mid-day while they deliver, fail
and scan, the app is restarted offline, the cable comes back, and one answer is lost on the way
back (the server applied the batch, the handheld never heard). At the end every action is on the
server exactly once and the handheld agrees with the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.shipments.models import Job, TrackingEvent
from backend.sync.models import AppliedOp
from bench.asgi_workers import Worker
from mobile.core import Config, Core
from mobile.flows.delivery import Step as DStep
from mobile.flows.failed_attempt import Step as FStep
from mobile.offline import outbox
from mobile.scanning.scan_session import ScanMode, Verdict
from tests.e2e.cable import Cable
from tests.mobile.core.helpers import JPEG, PNG, make_world
from tests.servers import daphne_worker

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PASSWORD = "courier-pass-1"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Worker]:
    yield from daphne_worker(tmp_path, MEDIA_ROOT=str(tmp_path / "media"))


def new_core(data_dir: Path, cable: Cable) -> Core:
    config = Config(data_dir=data_dir, server_url=f"http://127.0.0.1:{cable.port}", pbkdf2_iterations=1000)
    return Core(config, locate=lambda: (30.28, 120.13, 5.0))


def test_a_day_with_the_cable_cut_and_restored_loses_nothing(server: Worker, tmp_path: Path) -> None:
    world = make_world(deliveries=6)
    jobs = world["deliveries"]
    numbers = [j.shipment.tracking_no for j in jobs]
    cable = Cable(server.port)
    core = new_core(tmp_path / "phone", cable)
    core.login(world["courier"].employee_no, PASSWORD)
    assert core.online and len(core.jobs()) == 7

    core.start_scan(ScanMode.LOADED_OUT)
    assert [core.handle_scan(n).verdict for n in numbers] == [Verdict.OK] * 6
    assert core.sync_now() is not None and core.pending_count() == 0

    cable.cut()
    core.start_scan(ScanMode.DELIVERY)
    for job, number in zip(jobs[:3], numbers[:3], strict=True):
        assert core.handle_scan(number).verdict is Verdict.OK
        flow = core.delivery
        assert flow is not None and flow.job["id"] == job.pk
        flow.set_signature(PNG)
        assert flow.confirm() is DStep.DONE
        core.finish_delivery()
    fail = core.begin_fail(jobs[3].pk)
    fail.choose_reason("refused")
    fail.add_photo(JPEG, "image/jpeg")
    assert fail.submit_evidence() is FStep.NEXT_STEP
    fail.choose_next("return")
    assert fail.confirm() is FStep.DONE
    core.finish_fail()
    assert core.sync_now() is None and core.online is False
    offline_ops = core.pending_count()
    assert offline_ops == 8  # 3 × (start, deliver) + start + fail

    # The phone is restarted in the dead zone; the courier logs in from the cached credentials.
    core.stop_background()
    core.store.close()
    core = new_core(tmp_path / "phone", cable)
    assert core.login(world["courier"].employee_no, PASSWORD).offline is True
    assert core.pending_count() == offline_ops
    d5 = core.begin_delivery(jobs[4].pk, scanned=numbers[4])
    d5.choose_method("code")
    d5.set_code("8841")
    assert d5.confirm() is DStep.DONE
    core.finish_delivery()

    # Signal again, but the first answer is lost after the server applied the batch.
    cable.restore()
    cable.lose_replies(1, "POST /api/v1/sync/push")
    assert core.sync_now() is None and cable.lost_replies == 1
    assert core.session is not None and core.session.offline is False  # the token was refreshed first
    assert core.pending_count() == offline_ops + 2  # answered on the server, not yet on the handheld
    report = core.sync_now()
    assert report is not None and report.rejected == 0, report
    assert core.pending_count() == 0 and core.online is True

    ops = [o for o in outbox.all_ops(core.store) if o.kind != "scan"]
    assert all(o.state == "applied" for o in ops)
    assert AppliedOp.objects.filter(op_id__in=[o.op_id for o in ops]).count() == len(ops)
    assert TrackingEvent.objects.filter(idempotency_key__in=[o.op_id for o in ops]).count() == len(ops)
    server_view = {
        j.pk: (j.status, j.shipment.status)
        for j in Job.objects.select_related("shipment").filter(courier=world["courier"])
    }
    local_view = {j["id"]: (j["status"], j["shipment"]["status"]) for j in core.jobs()}
    assert local_view == server_view
    assert [server_view[j.pk][0] for j in jobs] == ["completed"] * 3 + ["failed", "completed", "assigned"]
    assert Job.objects.get(pk=jobs[3].pk).next_step == {"kind": "return"}
    cable.close()
