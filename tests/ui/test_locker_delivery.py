"""A consented locker delivery through the real app under Xvfb (issue 14): the courier scans the
parcel, chooses 放入快递柜, is told in Chinese what is missing, types the compartment, the locker's
code and the consent taken by phone, and the server accepts the op and records the consent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backend.shipments.models import Job, TrackingEvent
from tests.mobile.core.helpers import Network, make_world
from tests.ui.app_fixture import make_core, running_app
from tests.ui.test_day import label_image

pytestmark = [pytest.mark.ui, pytest.mark.django_db]
PASSWORD = "courier-pass-1"
CALL = "10:02 拨打 138****0000"


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_locker_delivery_with_consent_taken_by_phone(
    window: Any, screenshots: Path, tmp_path: Path, language: str
) -> None:
    world, net = make_world(), Network()
    job = world["deliveries"][0]
    number = job.shipment.tracking_no
    camera = label_image(tmp_path / "locker.png", number)  # the photo of the closed compartment
    core = make_core(tmp_path / "phone", net, scale_path="/nonexistent", printer_port=9, camera=camera)
    core.login(world["courier"].employee_no, PASSWORD)
    with running_app(core, screenshots, language) as ui:
        app, tr = ui.app, ui.app.tr
        app.go("today")
        ui.frames(3)
        ui.scan(number)
        assert app.root.current == "deliver"
        deliver = app.root.get_screen("deliver")
        d = deliver.ids
        ui.tap(d.method_locker)
        ui.frames(2)
        # The locker's fields take the signature pad's place; the pad is off screen, untappable.
        assert deliver.method == "locker" and d.place_panel.opacity == 1
        assert d.pad.to_window(*d.pad.center)[0] < 0
        # ... and fit under the method chips at 360 × 640 dp, even with three reasons shown (below).
        top = d.locker_compartment.to_window(d.locker_compartment.x, d.locker_compartment.top)[1]
        assert top <= d.method_locker.to_window(d.method_locker.x, d.method_locker.y)[1]
        ui.tap(d.photo_button)
        ui.tap(d.deliver_button)  # nothing typed: refused, each reason in the screen's language
        assert app.root.current == "deliver"
        assert d.problems.text.split("\n") == [
            tr("Enter the compartment number"),
            tr("Enter the locker code (4 to 10 digits)"),
            tr("Consent needed: note the call"),
        ]
        if language == "zh_CN":
            assert "格口号" in d.problems.text and "通话" in d.problems.text
        ui.shot(f"{language}_14_locker_missing")
        top = d.locker_compartment.to_window(d.locker_compartment.x, d.locker_compartment.top)[1]
        assert top <= d.method_locker.to_window(d.method_locker.x, d.method_locker.y)[1]
        ui.type_into(d.locker_compartment, "b07")
        ui.type_into(d.locker_code, "552187")
        ui.type_into(d.consent_name, "王芳")
        ui.tap(d.consent_family)
        assert deliver.consent_relation == "family" and d.consent_family.state == "down"
        ui.type_into(d.call_record, CALL)
        ui.shot(f"{language}_14_locker_filled")
        ui.tap(d.deliver_button)
        assert app.root.current == "today", d.problems.text
        report = core.sync_now()
        assert report is not None and report.rejected == 0 and core.pending_count() == 0, report
        ui.frames(3)  # the app takes the pulled jobs while its store is open
        assert app.pending == 0
    assert Job.objects.get(pk=job.pk).status == "completed"
    details = TrackingEvent.objects.get(job=job, kind="delivered").details
    assert details["locker"] == {"compartment": "B07", "code": "552187"}
    assert details["consent_on_the_spot"] == {"name": "王芳", "relation": "family", "call_record": CALL}
