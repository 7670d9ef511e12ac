"""Issue 17 on the real app: the contents photo a 保价金额 over 1,000 yuan needs (camera port, and the
no-camera way on), and a pickup the app was killed in shown again at its step with its fields."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from mobile.offline import outbox
from tests.mobile.core.helpers import Network, make_world
from tests.ui.app_fixture import make_core, running_app, sized
from tests.ui.driver import Driver

pytestmark = [pytest.mark.ui, pytest.mark.django_db]
PASSWORD = "courier-pass-1"
SIZES = [(720, 1280), (1080, 2340)]


def a_camera(tmp_path: Path) -> Path:
    """The desktop camera stand-in: one still frame."""
    path = tmp_path / "contents.jpg"
    Image.new("RGB", (64, 48), (200, 150, 90)).save(path, "JPEG")
    return path


def logged_in(tmp_path: Path, camera: str) -> tuple[dict[str, Any], Any]:
    world = make_world()
    core = make_core(tmp_path / "phone", Network(), scale_path="/nonexistent", printer_port=9, camera=camera)
    core.login(world["courier"].employee_no, PASSWORD)
    return world, core


def to_inspection(ui: Driver, core: Any, job: int, declared: str) -> Any:
    """Open the pickup and fill weight, sizes and the inspection with a declared value, as a courier."""
    core.begin_pickup(job)
    ui.app.go("pickup")
    ui.frames(4)
    pickup = ui.app.screen("pickup")
    p = pickup.ids
    ui.type_into(p.weight_kg, "2.5")
    ui.type_into(p.manual_reason, "秤没电")
    ui.tap(p.weigh_next)
    for field, value in ((p.length_cm, "30"), (p.width_cm, "20"), (p.height_cm, "10")):
        ui.type_into(field, value)
    ui.tap(p.dimensions_next)
    assert pickup.step == "inspection"
    ui.tap(p.no_prohibited)
    ui.tap(p.id_resident_id)
    ui.type_into(p.id_last4, "123X")
    ui.type_into(p.real_name, "张三")
    ui.type_into(p.declared_value, declared)
    return pickup


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", SIZES, ids=["720x1280", "1080x2340"])
def test_an_insured_value_over_1000_yuan_takes_a_contents_photo_with_the_camera(
    window: Any, screenshots: Path, tmp_path: Path, language: str, size: tuple[int, int]
) -> None:
    camera = a_camera(tmp_path)
    world, core = logged_in(tmp_path, str(camera))
    job, tag = world["pickup"].pk, f"{language}_{size[0]}x{size[1]}_17"
    with sized(window, size), running_app(core, screenshots, language) as ui:
        tr = ui.app.tr
        pickup = to_inspection(ui, core, job, "1500")
        p = pickup.ids
        ui.tap(p.inspection_next)  # no photo yet: refused, the step stays, the button is there
        assert pickup.step == "inspection"
        assert pickup.problems == tr("Photograph the contents: the insured value is over 1,000 yuan")
        button = p.contents_photo_button
        assert button.opacity == 1 and button.text == tr("Photo of contents")
        ui.shot(f"{tag}_pickup_contents_photo_needed")
        ui.tap(button)
        assert button.text == tr("Contents photo taken") and pickup.problems == ""
        ui.shot(f"{tag}_pickup_contents_photo_taken")
        ui.tap(p.inspection_next)
        assert pickup.step == "quote"
        ui.tap(p.pay_cash)
        ui.tap(p.quote_accept)
        assert pickup.step == "print"
        ui.tap(p.skip_print)
        assert ui.app.root.current == "today"
        (op,) = [o for o in outbox.all_ops(core.store) if o.kind == "weigh"]
        sha = hashlib.sha256(camera.read_bytes()).hexdigest()
        assert op.job_id == job and op.payload["contents_photo_sha256"] == sha
        assert op.payload["declared_value_fen"] == 1500_00
        assert sha in [a[0] for a in core.store.attachments_to_upload()]  # the photo goes up with the op


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_no_camera_for_the_contents_photo_says_so_and_leaves_the_failed_pickup(
    window: Any, screenshots: Path, tmp_path: Path, language: str
) -> None:
    world, core = logged_in(tmp_path, camera="")
    with running_app(core, screenshots, language) as ui:
        tr = ui.app.tr
        pickup = to_inspection(ui, core, world["pickup"].pk, "2000")
        ui.tap(pickup.ids.contents_photo_button)  # no crash, a clear message and the way on
        assert pickup.problems == tr(
            "No camera on this handheld: an insured value over 1,000 yuan needs a contents photo. "
            "Record the pickup as failed, or hand it to the station."
        )
        assert core.devices.feedback.calls[-1] == ("error", 400)
        ui.shot(f"{language}_17_pickup_contents_no_camera")
        ui.tap(pickup.ids.pickup_failed)
        assert ui.app.root.current == "fail"


@pytest.mark.parametrize("size", SIZES, ids=["720x1280", "1080x2340"])
def test_a_pickup_the_app_was_killed_in_comes_back_at_its_step_with_its_fields(
    window: Any, screenshots: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    from mobile.core import Config, Core

    world, first = logged_in(tmp_path, camera="")
    flow = first.begin_pickup(world["pickup"].pk)
    flow.start()
    flow.submit(weight_g=2500, reason="秤没电")
    flow.submit(length_mm=305, width_mm=200, height_mm=100, pieces=2)
    first.store.close()  # killed: the next app finds only what the first wrote
    core = make_core(tmp_path / "phone", Network(), scale_path="/nonexistent", printer_port=9, camera="")
    assert isinstance(core, Core) and isinstance(core.config, Config)
    with sized(window, size), running_app(core, screenshots, "zh_CN") as ui:
        ui.frames(4)
        pickup = ui.app.screen("pickup")
        assert ui.app.root.current == "pickup" and pickup.step == "inspection"
        p = pickup.ids
        assert (p.weight_kg.text, p.manual_reason.text) == ("2.5", "秤没电")
        assert (p.length_cm.text, p.width_cm.text, p.pieces.text) == ("30.5", "20", "2")
        assert pickup.weight == "2.5 kg"
        ui.shot(f"zh_CN_{size[0]}x{size[1]}_17_pickup_resumed")
