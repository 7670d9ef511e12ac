"""Handling flags and the ID step through the real app under Xvfb (issue 17, item 3).

The courier sees the parcels' flags on Today's rows and on Deliver (先电联, 验证件, 高价值, 易碎,
向上); a parcel without ID flags is still scan, sign, one tap; an ID-check / high-value parcel
opens the ID step where the signature pad will be — document type chips, last 4, "ID checked" —
refused in the screen's language when incomplete, and the server records the type and last 4.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backend.shipments.models import Job, ProofOfDelivery, Shipment
from tests.mobile.core.helpers import Network, make_world
from tests.ui.app_fixture import make_core, running_app, sized

pytestmark = [pytest.mark.ui, pytest.mark.django_db]
PASSWORD = "courier-pass-1"
SIZES = [(720, 1280), (1080, 2340)]
CHIPS = {
    "zh_CN": (["验证件", "高价值", "易碎"], ["先电联", "向上"]),
    "en": (["ID check", "High value", "Fragile"], ["Call first", "This way up"]),
}


def on_screen(widget: Any) -> bool:
    x, y = widget.to_window(*widget.center)
    return bool(x >= 0 and y >= 0 and widget.opacity == 1 and not widget.disabled)


def row_of(today: Any, job_id: int) -> Any:
    rows = [w for w in today.ids.route.children[0].children if w.job_id == str(job_id)]
    assert rows, f"job {job_id} is not on Today"
    return rows[0]


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", SIZES, ids=["720x1280", "1080x2340"])
def test_flags_are_shown_and_the_id_step_comes_before_the_signature(
    window: Any, screenshots: Path, tmp_path: Path, language: str, size: tuple[int, int]
) -> None:
    world, net = make_world(deliveries=2), Network()
    valuable, plain = world["deliveries"]
    # The sender's flags, as intake stored them (the handheld pulls them with the job).
    Shipment.objects.filter(pk=valuable.shipment_id).update(handling=["fragile", "high_value", "id_check"])
    Shipment.objects.filter(pk=plain.shipment_id).update(handling=["keep_upright", "call_before"])
    core = make_core(tmp_path / "phone", net, scale_path="/nonexistent", printer_port=9, camera="")
    core.login(world["courier"].employee_no, PASSWORD)
    id_chips, plain_chips = CHIPS[language]
    tag = f"{language}_{size[0]}x{size[1]}_17"
    with sized(window, size), running_app(core, screenshots, language) as ui:
        app, tr = ui.app, ui.app.tr
        app.go("today")
        ui.frames(4)
        today = app.root.get_screen("today")
        row = row_of(today, valuable.pk)
        assert row.flags == " ".join(id_chips) and row.ids.flags.width > 0
        assert row_of(today, plain.pk).flags == " ".join(plain_chips)
        ui.shot(f"{tag}_today_flags")

        # A parcel whose flags ask for no ID: scan, sign, "Delivered" — one tap, as before.
        ui.scan(plain.shipment.tracking_no)
        assert app.root.current == "deliver"
        deliver = app.root.get_screen("deliver")
        d = deliver.ids
        assert [c.text for c in reversed(d.flags_row.children)] == plain_chips
        assert not deliver.id_step and on_screen(d.pad) and not d.method_locker.disabled
        taps = ui.taps
        ui.sign(d.pad)
        ui.tap(d.deliver_button)
        assert app.root.current == "today" and ui.taps - taps == 1, d.problems.text

        # An ID-check, high-value parcel: the ID step stands where the pad will be.
        ui.scan(valuable.shipment.tracking_no)
        assert app.root.current == "deliver"
        assert [c.text for c in reversed(d.flags_row.children)] == id_chips
        assert deliver.id_step and on_screen(d.id_panel) and on_screen(d.id_confirm_button)
        assert d.pad.to_window(*d.pad.center)[0] < 0  # off screen: it cannot be signed yet
        assert d.method_locker.disabled and d.method_station.disabled  # hand to hand only
        ui.shot(f"{tag}_deliver_id_step")
        ui.tap(d.deliver_button)  # straight to "Delivered": refused, the ID step first
        assert app.root.current == "deliver"
        assert d.problems.text.split("\n")[:2] == [
            tr("ID check: choose the ID type"),
            tr("ID check: enter the last 4 of the ID number"),
        ]
        ui.type_into(d.id_last4, "02")
        ui.tap(d.id_confirm_button)  # no type, 2 characters: refused in the screen's language
        assert deliver.id_step
        assert d.problems.text.split("\n") == [
            tr("ID check: choose the ID type"),
            tr("ID check: enter the last 4 of the ID number"),
        ]
        if language == "zh_CN":
            assert d.problems.text.startswith("验证件：请选择证件类型")
        ui.shot(f"{tag}_deliver_id_refused")
        ui.tap(d.id_resident_id)
        assert d.id_resident_id.state == "down" and deliver.id_type == "resident_id"
        ui.type_into(d.id_last4, "002x")
        ui.tap(d.id_confirm_button)
        assert not deliver.id_step and deliver.problems == ""
        assert on_screen(d.pad) and d.id_panel.to_window(*d.id_panel.center)[0] < 0
        ui.sign(d.pad)
        ui.shot(f"{tag}_deliver_id_checked_signed")
        ui.tap(d.deliver_button)
        assert app.root.current == "today", d.problems.text
        report = core.sync_now()
        assert report is not None and report.rejected == 0 and core.pending_count() == 0, report
        ui.frames(3)
    assert Job.objects.get(pk=valuable.pk).status == "completed"
    proof = ProofOfDelivery.objects.get(job=valuable)
    assert (proof.method, proof.recipient_relation, proof.id_type, proof.id_last4) == (
        "signature",
        "self",
        "resident_id",
        "002X",
    )
    assert ProofOfDelivery.objects.get(job=plain).id_type == ""
