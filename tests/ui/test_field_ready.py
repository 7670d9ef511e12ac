"""Issue 17 on the real app under Xvfb: Chinese everywhere, the SC font, the back key, 异常件, end of day,
no camera, sound and vibration through the port. Screenshots in both languages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mobile import fonts
from mobile.offline import outbox
from tests.mobile.core.helpers import Network, make_world
from tests.ui.app_fixture import make_core, running_app
from tests.ui.driver import Driver

pytestmark = [pytest.mark.ui, pytest.mark.django_db]
PASSWORD = "courier-pass-1"
# What may be shown in ASCII in Chinese: numbers, tracking numbers and codes, units, money, times,
# punctuation, and each language's own name on the language switch.
ALLOWED = re.compile(
    r"[A-Z]{2}\d{6,}|E\d{4}|\d+(?:[.,:]\d+)*|¥|\b(?:kg|g|cm|mm|English|Parcelrun)\b|[\s\W_]",
)


def screens() -> tuple[tuple[str, ...], dict[str, str]]:
    from mobile.screens.app import BACK, SCREENS  # Kivy only once the window fixture sized it

    return SCREENS, BACK


def english_words(text: str) -> bool:
    """An ASCII-only visible text with letters left once numbers, codes and units are taken out."""
    return text.isascii() and bool(re.search(r"[A-Za-z]", ALLOWED.sub("", text)))


def visible_texts(screen: Any) -> list[str]:
    from kivy.uix.label import Label
    from kivy.uix.textinput import TextInput

    out = []
    for w in screen.walk(restrict=True):
        if w.opacity <= 0 or w.width <= 1 or w.height <= 0:
            continue
        if isinstance(w, Label) and w.text:
            out.append(w.text)
        if isinstance(w, TextInput) and w.hint_text and not w.text:
            out.append(str(w.hint_text))
    return out


def logged_in(tmp_path: Path, camera: str = "") -> tuple[dict[str, Any], Network, Any]:
    world, net = make_world(), Network()
    core = make_core(tmp_path / "phone", net, scale_path="/nonexistent", printer_port=9, camera=camera)
    core.login(world["courier"].employee_no, PASSWORD)
    return world, net, core


def show(ui: Driver, core: Any, world: dict[str, Any], name: str) -> None:
    app, delivery = ui.app, world["deliveries"][0].pk
    if name == "deliver":
        core.begin_delivery(delivery)
    if name == "fail":
        core.begin_fail(delivery)
    if name == "propose":
        app.screen("propose").job_id = delivery
    if name == "pickup":
        core.begin_pickup(world["pickup"].pk)
    app.go(name)
    ui.frames(4)


def refuse_one(core: Any, world: dict[str, Any]) -> str:
    """A failed attempt recorded offline that the server refused (the station cancelled the job)."""
    op = core.actions.record_fail(world["deliveries"][1].pk, "no_answer", "", {"kind": "retry"})
    outbox.record_results(
        core.store,
        [{"op_id": op, "outcome": "rejected", "code": "invalid_transition", "message": "cancelled → failed"}],
    )
    core.bus.emit("badge", badge=core.badge())
    return str(op)


def test_every_screen_in_chinese_shows_no_english_and_uses_the_sc_face(
    window: Any, screenshots: Path, tmp_path: Path
) -> None:
    world, _net, core = logged_in(tmp_path)
    refuse_one(core, world)
    core.actions.record_fail(world["deliveries"][2].pk, "no_such_person", "", {"kind": "hold_station"})
    with running_app(core, screenshots, "zh_CN") as ui:
        assert ui.app.font_path is not None
        if ui.app.font_path.endswith(".otf") or ui.app.font_path.endswith(".ttf"):
            assert fonts.family_name(ui.app.font_path) in ("Noto Sans CJK SC", "Noto Sans SC")
        english, (names, _back) = {}, screens()
        for name in names:
            if name == "login":
                continue
            show(ui, core, world, name)
            english[name] = [t for t in visible_texts(ui.app.root.current_screen) if english_words(t)]
            ui.shot(f"zh_CN_17_{name}")
        assert english == {name: [] for name in names if name != "login"}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_back_key_goes_back_a_screen_and_never_leaves_the_app(
    window: Any, screenshots: Path, tmp_path: Path, language: str
) -> None:
    from kivy.core.window import Window

    world, _net, core = logged_in(tmp_path)
    with running_app(core, screenshots, language) as ui:
        app = ui.app
        for name, parent in screens()[1].items():
            show(ui, core, world, name)
            Window.dispatch("on_key_down", 27, 41, None, [])
            ui.frames(2)
            assert app.root.current == parent, name
        app.go("today")
        Window.dispatch("on_key_down", 27, 41, None, [])
        assert app.root.current == "today"  # the first screen keeps the app open
        show(ui, core, world, "fail")
        ui.tap(next(c for c in app.screen("fail").ids.reasons.children if c.value == "no_answer"))
        Window.dispatch("on_key_down", 27, 41, None, [])
        ui.frames(2)
        assert app.root.current == "fail" and app.screen("fail").step == "reason"  # a step back first


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_refusal_is_explained_handed_on_and_the_day_closed(
    window: Any, screenshots: Path, tmp_path: Path, language: str
) -> None:
    world, _net, core = logged_in(tmp_path)
    tracking = world["deliveries"][1].shipment.tracking_no
    with running_app(core, screenshots, language) as ui:
        app, tr = ui.app, ui.app.tr
        refuse_one(core, world)
        ui.frames(3)
        today = app.screen("today")
        assert app.rejected == 1 and today.ids.problems_button.text.startswith(f"{tr('Problem parcels')} 1")
        ui.shot(f"{language}_17_today_problem_count")
        ui.tap(today.ids.problems_button)
        problems = app.screen("problems")
        (row,) = problems.ids.rows.children
        assert tracking in row.title and row.resolvable
        what = tr("Upload failed: the station changed this job (cancelled or already closed)")
        assert what in row.detail and "cancelled → failed" not in row.detail  # never the server's text
        ui.shot(f"{language}_17_problem_parcels")
        hand_on = next(b for b in row.walk() if getattr(b, "text", "") == tr("Hand to supervisor"))
        ui.tap(hand_on)
        assert app.rejected == 0 and core.open_problem_count() == 0
        assert len(outbox.rejected(core.store)) == 1  # kept on the handheld
        ui.tap(problems.ids.back_button)
        assert app.root.current == "today"
        ui.tap(today.ids.settings_button)
        ui.tap(app.screen("settings").ids.logout)
        eod = app.screen("end_of_day")
        assert app.root.current == "end_of_day" and tracking in eod.bring_back
        ui.shot(f"{language}_17_end_of_day")
        ui.tap(eod.ids.logout)
        assert app.root.current == "login" and core.session is None


def test_no_camera_gives_a_way_forward_marked_for_the_supervisor(
    window: Any, screenshots: Path, tmp_path: Path
) -> None:
    world, _net, core = logged_in(tmp_path)  # no camera configured
    job = world["deliveries"][0].pk
    with running_app(core, screenshots, "zh_CN") as ui:
        app, tr = ui.app, ui.app.tr
        show(ui, core, world, "fail")
        fail = app.screen("fail")
        ui.tap(next(c for c in fail.ids.reasons.children if c.value == "not_home"))
        ui.tap(fail.ids.photo_button)  # crashed before issue 17
        assert fail.no_camera and fail.problems == tr(
            "No camera on this handheld. Go on without a photo: the supervisor checks it."
        )
        assert core.devices.feedback.calls[-1] == ("error", 400)
        ui.tap(next(c for c in fail.ids.calls.children if c.value == "no_answer"))
        ui.shot("zh_CN_17_fail_no_camera")
        ui.tap(fail.ids.no_camera_button)
        assert fail.step == "next_step"
        ui.tap(next(c for c in fail.ids.next_steps.children if c.value == "retry"))
        ui.tap(fail.ids.fail_confirm)
        assert app.root.current == "today"
        (op,) = [o for o in outbox.all_ops(core.store) if o.kind == "fail" and o.job_id == job]
        assert "[camera_unavailable]" in op.payload["note"] and op.payload.get("photo_sha256", []) == []
        scan = app.screen("scan")
        app.open_scan("delivery")
        ui.tap(scan.ids.camera_button)
        assert scan.message == tr("No camera on this handheld: use the scanner or key it in")


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_pickup_starts_empty_in_cm_and_kg_and_can_fail_with_a_reason(
    window: Any, screenshots: Path, tmp_path: Path, language: str
) -> None:
    world, _net, core = logged_in(tmp_path)  # no scale: the weight is keyed in, in kg
    pickup_job = world["pickup"].pk
    with running_app(core, screenshots, language) as ui:
        app = ui.app
        show(ui, core, world, "pickup")
        pickup = app.screen("pickup")
        p = pickup.ids
        assert pickup.step == "weigh"
        ui.type_into(p.weight_kg, "2.5")
        ui.type_into(p.manual_reason, "秤没电")
        ui.tap(p.weigh_next)
        assert (
            pickup.step == "dimensions" and core.pickup.draft.weight_g == 2500 and pickup.weight == "2.5 kg"
        )
        for field, value in ((p.length_cm, "30"), (p.width_cm, "20.5"), (p.height_cm, "10")):
            ui.type_into(field, value)
        ui.tap(p.dimensions_next)
        assert (core.pickup.draft.length_mm, core.pickup.draft.width_mm) == (300, 205)  # stored in mm
        ui.tap(p.no_prohibited)
        ui.type_into(p.declared_value, "500")
        button = p.inspection_next  # the step's main action in the thumb zone
        assert button.opacity == 1 and button.to_window(*button.center)[1] < window.height / 3
        ui.shot(f"{language}_17_pickup_inspection")
        ui.tap(p.back_button)
        show(ui, core, world, "pickup")  # the next customer: nothing carries over
        assert [p[n].text for n in ("weight_kg", "length_cm", "width_cm", "height_cm", "declared_value")] == [
            ""
        ] * 5
        assert p.no_prohibited.state == "normal" and pickup.payment == "" and p.pieces.text == "1"
        ui.tap(p.pickup_failed)
        fail = app.screen("fail")
        assert app.root.current == "fail"
        codes = {c.value for c in fail.ids.reasons.children}
        assert {"prohibited_items", "no_real_name"} <= codes and "cod_not_ready" not in codes
        ui.shot(f"{language}_17_pickup_failed_reasons")
        ui.tap(next(c for c in fail.ids.reasons.children if c.value == "no_real_name"))
        ui.tap(fail.ids.evidence_next)
        ui.tap(next(c for c in fail.ids.next_steps.children if c.value == "retry"))
        ui.tap(fail.ids.fail_confirm)
        assert app.root.current == "today"
        (op,) = [o for o in outbox.all_ops(core.store) if o.kind == "fail"]
        assert op.job_id == pickup_job and op.payload["reason_code"] == "no_real_name"
