"""A courier's day through the app core, without a display, against the real API in-process.

login → pull → load the van by scanning → go offline → deliver with a signature, fail one with
evidence, pick one up with a simulated scale and a printer → restart the app offline → reconnect
→ everything reaches the server, the token is refreshed, and the live changes are announced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backend.shipments.models import Job
from backend.shipments.services import job_unassign
from backend.sync.models import CallLog
from mobile.core import Config, Core, LogoutBlocked
from mobile.devices.handheld import Devices, LazyScale
from mobile.devices.printer import NetworkPrinter
from mobile.devices.scale_sim import ScaleSimulator
from mobile.flows.delivery import Step as DStep
from mobile.flows.failed_attempt import Step as FStep
from mobile.flows.pickup import Step as PStep
from mobile.scanning.scan_session import ScanMode, Verdict
from tests.backend.sync.helpers import ready_job
from tests.mobile.core.helpers import JPEG, PNG, FakePrinter, Network, Recorder, make_world

REAL_NAME = {"sender_id_type": "resident_id", "sender_id_last4": "123x", "sender_real_name": "张三"}

pytestmark = pytest.mark.django_db
PASSWORD = "courier-pass-1"
HERE = (30.28, 120.13, 6.0)


@pytest.fixture(autouse=True)
def media(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    return make_world()


def type_scan(core: Core, code: str, at: float) -> Any:
    for i, ch in enumerate(code):
        assert core.key(ch, at + i * 0.004) is None
    return core.key("\r", at + len(code) * 0.004)


def make_core(tmp_path: Path, net: Network, scale_path: str, printer_port: int) -> Core:
    devices = Devices(scale=LazyScale(scale_path, "mtsics"), scale_model="SimScale MT", printer=None)

    devices.printer = NetworkPrinter("127.0.0.1", printer_port)
    devices.printer_address = ("127.0.0.1", printer_port)
    return Core(
        Config(data_dir=tmp_path / "phone", pbkdf2_iterations=1000),
        connect=net.connect,
        locate=lambda: HERE,
        devices=devices,
    )


def test_a_whole_day_offline_in_the_middle_loses_nothing(tmp_path: Path, world: dict[str, Any]) -> None:
    net, printer = Network(), FakePrinter()
    employee_no = world["courier"].employee_no
    d1, d2, d3 = world["deliveries"]
    numbers = [j.shipment.tracking_no for j in (d1, d2, d3)]
    with ScaleSimulator("mtsics", weight_g=2001) as sim:
        core = make_core(tmp_path, net, sim.device_path, printer.port)
        heard = Recorder(core.bus)

        # Log in online: the device is bound, the day is pulled with its tariff and waybill numbers.
        session = core.login(employee_no, PASSWORD)
        assert (session.offline, core.online) == (False, True)
        rows, counts = core.today()
        assert {r.job_id for r in rows} == {d1.pk, d2.pk, d3.pk, world["pickup"].pk}
        assert (counts.to_deliver, counts.delivered, counts.failed, counts.pickups) == (3, 0, 0, 1)
        assert core.waybills is not None and core.waybills.remaining() == 200

        # Load the van: three good scans, one repeated, one misread.
        core.start_scan(ScanMode.LOADED_OUT)
        verdicts = [type_scan(core, n, 100 + i).verdict for i, n in enumerate(numbers)]
        verdicts.append(type_scan(core, numbers[0], 110).verdict)
        verdicts.append(type_scan(core, numbers[1][:-1] + str((int(numbers[1][-1]) + 3) % 10), 111).verdict)
        assert verdicts == [Verdict.OK] * 3 + [Verdict.ALREADY_SCANNED, Verdict.BAD_CHECK_DIGIT]
        assert core.pending_count() == 3
        core.sync_now()
        assert core.pending_count() == 0

        # Into a dead zone.
        net.up = False
        assert core.sync_now() is None and core.badge().online is False

        # Deliver d1: scan, sign, one tap.
        core.start_scan(ScanMode.DELIVERY)
        assert type_scan(core, numbers[0], 200).verdict is Verdict.OK
        assert ("open", {"screen": "deliver", "job_id": d1.pk}) in heard.events
        flow = core.delivery
        assert flow is not None and flow.step is DStep.PROOF
        flow.set_signature(PNG)
        assert flow.confirm() is DStep.DONE and flow.taps == 1
        core.finish_delivery()

        # Fail d2: not at home, photo of the door, a call nobody answered, hold at the station.
        fail = core.begin_fail(d2.pk)
        fail.choose_reason("not_home")
        fail.add_photo(JPEG, "image/jpeg")
        fail.log_call("no_answer", 0)
        assert fail.submit_evidence() is FStep.NEXT_STEP
        fail.choose_next("hold_station")
        assert fail.confirm() is FStep.DONE
        core.finish_fail()

        # The pickup: the scale reads by itself, then four courier steps.
        core.start_scan(ScanMode.PICKUP)
        assert type_scan(core, world["pickup"].shipment.tracking_no, 300).verdict is Verdict.OK
        pickup = core.pickup
        assert pickup is not None and pickup.start() is PStep.DIMENSIONS
        pickup.submit(length_mm=100, width_mm=100, height_mm=100, pieces=1)
        pickup.submit(**REAL_NAME, prohibited_items_absent=True, declared_value_fen=0)
        assert pickup.step is PStep.QUOTE, pickup.problems
        pickup.submit(payment_method="wechat")
        assert pickup.submit(print_label=True) is PStep.DONE
        assert pickup.courier_steps == 4 and printer.wait(1) == 1
        assert printer.jobs[0].startswith(b"^XA")
        core.finish_pickup()

        rows, counts = core.today()
        assert (counts.to_deliver, counts.delivered, counts.failed, counts.pickups) == (1, 1, 1, 0)
        pending = core.pending_count()
        assert pending == 7  # start+deliver, start+call+fail, start+weigh

        # Meanwhile at the station: d3 is taken away, a new delivery is assigned.
        job_unassign(job_id=d3.pk, ctx=world["boss"].ctx, reason="rebalanced")
        extra = ready_job(world["station"], world["boss"], world["courier"])

        # The app is killed and restarted, still offline: the same courier logs in from the cache.
        core.stop_background()
        core.store.close()  # type: ignore[union-attr]
        core = make_core(tmp_path, net, sim.device_path, printer.port)
        heard = Recorder(core.bus)
        assert core.login(employee_no, PASSWORD).offline is True
        assert core.pending_count() == pending
        with pytest.raises(LogoutBlocked):
            core.logout()

        # Signal again: the token is refreshed, everything goes out, the changes come in.
        net.up = True
        report = core.sync_now()
        assert report is not None and report.rejected == 0 and report.uploaded == 2
        assert core.session is not None and core.session.offline is False
        assert core.pending_count() == 0 and core.badge().online is True
        assert {j["id"] for j in core.jobs()} == {d1.pk, d2.pk, world["pickup"].pk, extra.pk}
        assert "New job assigned: {address}" in heard.notices()
        assert "Job taken away: {address}" in heard.notices()

    server = {
        j.pk: j
        for j in Job.objects.select_related("shipment").filter(pk__in=[d1.pk, d2.pk, world["pickup"].pk])
    }
    assert (server[d1.pk].status, server[d1.pk].shipment.status) == ("completed", "delivered")
    assert (server[d2.pk].status, server[d2.pk].next_step) == ("failed", {"kind": "hold_station"})
    assert (server[world["pickup"].pk].status, server[world["pickup"].pk].shipment.measured_weight_g) == (
        "completed",
        2001,
    )
    assert CallLog.objects.filter(job_id=d2.pk, outcome="no_answer").count() == 1
    core.logout()
    assert core.session is None and core.auth.resumable() is None
    printer.close()


def test_logout_with_pending_ops_needs_force_and_keeps_them_for_next_login(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    net = Network()
    core = make_core(tmp_path, net, "/dev/null-scale", 9)
    core.login(world["courier"].employee_no, PASSWORD)
    net.up = False
    core.start_scan(ScanMode.LOADED_OUT)
    assert core.handle_scan(world["deliveries"][0].shipment.tracking_no).verdict is Verdict.OK
    with pytest.raises(LogoutBlocked) as blocked:
        core.logout()
    assert blocked.value.pending == 1
    core.logout(force=True)
    assert core.session is None
    core.login(world["courier"].employee_no, PASSWORD)  # offline, from the cache
    assert core.pending_count() == 1
    net.up = True
    core.sync_now()
    assert core.pending_count() == 0


def test_a_missing_scale_is_reported_and_manual_weight_needs_a_reason(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    core = make_core(tmp_path, Network(), str(tmp_path / "no-such-tty"), 9)
    core.login(world["courier"].employee_no, PASSWORD)
    flow = core.begin_pickup(world["pickup"].pk)
    assert flow.start() is PStep.WEIGH
    assert flow.problems and "not connected" in flow.problems[0]
    assert flow.submit(weight_g=1500, reason="") is PStep.WEIGH
    assert flow.submit(weight_g=1500, reason="scale broken") is PStep.DIMENSIONS
    ok, message = core.devices.test_scale()
    assert ok is False and "not connected" in message
    assert core.devices.test_printer()[0] is False
