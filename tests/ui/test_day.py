"""The courier's day through the real app under Xvfb, by touches and scanner keys, in both languages.

Every screen is photographed (tests/ui/screenshots/<language>_<screen>.png); assertions are on
widget state and on what reached the server. Taps are counted where the issue sets a limit.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import segno

from backend.shipments.models import Job
from mobile.devices.scale_sim import ScaleSimulator
from mobile.flows.pickup import Step as PStep
from mobile.screens.theme import colour
from tests.mobile.core.helpers import FakePrinter, Network, make_world
from tests.ui.app_fixture import make_core, running_app
from tests.ui.driver import Driver

pytestmark = [pytest.mark.ui, pytest.mark.django_db]
PASSWORD = "courier-pass-1"


def label_image(path: Path, number: str) -> str:
    buffer = io.BytesIO()
    segno.make(number).save(buffer, kind="png", scale=8, border=4)
    path.write_bytes(buffer.getvalue())
    return str(path)


def row_for(ui: Driver, job_id: int) -> Any:
    rows = ui.ids("today").route.children[0].children
    return next(r for r in rows if r.job_id == str(job_id))


def chip(grid: Any, value: str) -> Any:
    return next(c for c in grid.children if c.value == value)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_day_through_the_ui(window: Any, screenshots: Path, tmp_path: Path, language: str) -> None:
    world, net, printer = make_world(), Network(), FakePrinter()
    d1, d2, d3 = world["deliveries"]
    numbers = [j.shipment.tracking_no for j in (d1, d2, d3)]
    camera = label_image(tmp_path / "frame.png", numbers[1])
    with ScaleSimulator("mtsics", weight_g=2001) as sim:
        core = make_core(
            tmp_path / "phone", net, scale_path=sim.device_path, printer_port=printer.port, camera=camera
        )
        with running_app(core, screenshots, language) as ui:
            app = ui.app

            def shot(name: str) -> None:
                ui.shot(f"{language}_{name}")

            tr = app.tr
            # -- log in ------------------------------------------------------------------------
            ids = ui.ids("login")
            ui.type_into(ids.employee_no, world["courier"].employee_no)
            ui.type_into(ids.password, PASSWORD)
            shot("1_login")
            ui.tap(ids.login_button)
            assert app.root.current == "today" and app.online is True, app.root.get_screen("login").error
            today = app.root.get_screen("today")
            assert (today.to_deliver, today.delivered, today.failed, today.pickups) == (3, 0, 0, 1)
            assert len(today.ids.route.data) == 4
            assert today.ids.count_to_deliver.children[-1].text == "3"
            shot("2_today")

            # -- load the van: scanner keys, one repeat, one misread --------------------------
            ui.tap(today.ids.scan_button)
            scan = app.root.get_screen("scan")
            ui.tap(scan.ids.mode_loaded_out)
            for i, n in enumerate(numbers):
                ui.scan(n, shift=i == 0)  # the first as a wedge scanner sends capitals: with Shift
                assert scan.ids.verdict.text == tr("OK") and scan.tint == list(colour("ok"))
            ui.scan(numbers[0].lower(), enter=False)  # no terminator: the inter-key timeout ends it
            assert scan.ids.verdict.text == tr("Already scanned") and scan.tint == list(colour("info"))
            ui.scan(numbers[2][:-1] + str((int(numbers[2][-1]) + 1) % 10))
            assert scan.ids.verdict.text == tr("Bad check digit: scan again") and scan.tint == list(
                colour("error")
            )
            assert (scan.accepted, scan.remaining, scan.flagged) == (3, 0, 2)
            assert app.feedback_log[-1] == ("error", "error", 400)
            # Heard and felt through the feedback port: a beep per good scan, the low tone + buzz otherwise.
            assert core.devices.feedback.calls[-5:] == [("ok", 0)] * 3 + [("error", 150), ("error", 400)]
            shot("3_scan_flagged")
            ui.tap(scan.ids.mode_delivery)
            ui.scan("PR000000012344")  # a valid number that is not mine
            assert scan.ids.verdict.text == tr("Not on your list") and scan.tint == list(colour("warning"))
            assert core.pending_count() == 3
            app.sync_now()
            assert app.pending == 0

            # -- into a dead zone; deliver d1 from the Today list: scan, sign, one tap ---------
            net.up = False
            ui.tap(scan.children[0].children[0].children[0])  # "Done"
            assert app.root.current == "today"
            taps = ui.taps
            ui.scan(numbers[0])
            assert app.root.current == "deliver"
            deliver = app.root.get_screen("deliver")
            at_door = deliver.flow.job["id"]
            ui.scan(numbers[1])  # another parcel's label at this door: refused, this delivery stays open
            assert app.root.current == "deliver" and deliver.flow.job["id"] == at_door
            assert app.feedback_log[-1] == ("error", "error", 600)
            assert app.notice.startswith(tr("Wrong parcel: not the one you are delivering"))
            ui.sign(deliver.ids.pad)
            assert deliver.ids.pad.has_ink
            shot("4_deliver_signed")
            ui.tap(deliver.ids.deliver_button)
            assert ui.taps - taps <= 3, "scan to delivered takes at most 3 taps plus the signature"
            assert app.root.current == "today" and today.delivered == 1 and today.to_deliver == 2
            assert app.online is False or app.pending >= 2

            # -- d2 by the camera, then a failed attempt with evidence -------------------------
            ui.tap(today.ids.scan_button)
            ui.tap(scan.children[0].children[1].children[0])  # "Camera"
            assert app.root.current == "deliver" and core.delivery.job["id"] == d2.pk
            ui.tap(deliver.ids.deliver_button)  # nobody signed: refused with the reason
            assert deliver.ids.problems.text == tr("The recipient has not signed")
            ui.tap(deliver.ids.failed_button)
            fail = app.root.get_screen("fail")
            assert app.root.current == "fail" and fail.step == "reason"
            shot("5_fail_reason")
            ui.tap(chip(fail.ids.reasons, "not_home"))
            ui.tap(fail.ids.evidence_next)
            assert fail.evidence == ""  # nothing recorded yet
            assert tr("Take a photo as evidence") in fail.problems
            ui.tap(fail.ids.photo_button)
            ui.tap(chip(fail.ids.calls, "no_answer"))
            shot("6_fail_evidence")
            ui.tap(fail.ids.evidence_next)
            assert fail.step == "next_step"
            ui.tap(chip(fail.ids.next_steps, "hold_station"))
            shot("7_fail_next_step")
            ui.tap(fail.ids.fail_confirm)
            assert app.root.current == "today" and today.failed == 1

            # -- the pickup: scale and printer, at most four courier steps --------------------
            ui.tap(today.ids.scan_button)
            ui.tap(scan.ids.mode_pickup)
            ui.scan(world["pickup"].shipment.tracking_no)
            pickup = app.root.get_screen("pickup")
            assert (
                app.root.current == "pickup" and pickup.step == "dimensions" and pickup.weight == "2.001 kg"
            )
            p = pickup.ids
            for field, value in ((p.length_cm, "10"), (p.width_cm, "10"), (p.height_cm, "10")):  # cm
                ui.type_into(field, value)
            shot("8_pickup_dimensions")
            ui.tap(p.dimensions_next)
            ui.tap(p.no_prohibited)
            ui.tap(p.id_resident_id)  # 实名: ID type, last 4, name
            ui.type_into(p.id_last4, "123X")
            ui.type_into(p.real_name, "张三")
            ui.tap(p.inspection_next)
            assert pickup.step == "quote" and pickup.price == "¥14.00", pickup.problems
            ui.tap(p.pay_wechat)
            assert (
                pickup.payment == "wechat" and p.pay_wechat.state == "down" and p.pay_cash.state == "normal"
            )
            shot("9_pickup_quote")
            ui.tap(p.quote_accept)
            assert pickup.step == "print" and p.preview.texture is not None
            shot("10_pickup_label")
            flow = core.pickup
            ui.tap(p.print_button)
            assert flow.step is PStep.DONE and flow.courier_steps == 4
            assert printer.wait(1) == 1 and app.root.current == "today" and today.pickups == 0

            # -- settings: diagnostics, pending ops, logout blocked, reconnect, sync ----------
            ui.tap(today.ids.settings_button)
            settings = app.root.get_screen("settings")
            ui.tap(settings.ids.scale_test)
            assert settings.scale_result == f"{tr('OK')}: 2001 g"
            ui.tap(settings.ids.printer_test)
            assert settings.printer_result.startswith(tr("OK"))
            assert all(tr(k) in settings.ops for k in ("Delivery", "Failed attempt", "Pickup"))
            shot("11_settings_pending")
            ui.tap(settings.ids.logout)  # log out only after the end of day summary
            eod = app.root.get_screen("end_of_day")
            assert app.root.current == "end_of_day" and (eod.done, eod.failed) == (2, 1)
            ui.tap(eod.ids.logout)
            assert eod.confirm_force and app.root.current == "end_of_day"
            assert eod.ids.logout.text == tr("Log out anyway")
            shot("11b_end_of_day_pending")
            ui.tap(eod.ids.back_button)
            assert app.root.current == "settings"
            net.up = True
            ui.tap(settings.ids.sync_now)
            assert settings.sync_error == ""
            assert app.pending == 0 and app.online is True and settings.ops == tr("Nothing waiting")
            ui.tap(settings.ids.lang_en if language == "zh_CN" else settings.ids.lang_zh)
            assert settings.ids.sync_now.text == ("Sync now" if language == "zh_CN" else "立即同步")
            ui.tap(settings.ids.lang_zh if language == "zh_CN" else settings.ids.lang_en)
            shot("12_settings_synced")
            ui.tap(settings.ids.logout)
            assert not eod.confirm_force and eod.logout_warning == ""  # synced: no stale warning
            ui.tap(eod.ids.logout)
            assert app.root.current == "login" and core.session is None
    printer.close()
    server = {j.pk: j.status for j in Job.objects.filter(pk__in=[d1.pk, d2.pk, world["pickup"].pk])}
    assert server == {d1.pk: "completed", d2.pk: "failed", world["pickup"].pk: "completed"}
