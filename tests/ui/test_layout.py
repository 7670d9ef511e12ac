"""Handheld ergonomics on the real widgets: 48 dp targets, main actions in thumb reach, contrast, 2 sizes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mobile.screens.theme import colour
from tests.mobile.core.helpers import Network, make_world
from tests.ui.app_fixture import make_core, running_app

pytestmark = [pytest.mark.ui, pytest.mark.django_db]


def luminance(rgb: tuple[float, ...]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize(
    "name", ["primary", "done", "failed", "muted", "active", "late", "ok", "error", "warning"]
)
def test_white_text_on_every_action_and_status_colour_reads_in_sunlight(name: str) -> None:
    assert contrast((1, 1, 1), colour(name)) >= 4.5  # WCAG AA for normal text


def test_ink_on_the_background_and_on_idle_chips() -> None:
    assert contrast(colour("ink"), colour("bg")) >= 15
    assert contrast(colour("ink"), colour("idle")) >= 12


def visible_targets(screen: Any) -> list[Any]:
    from kivy.uix.button import Button
    from kivy.uix.textinput import TextInput

    return [
        w
        for w in screen.walk(restrict=True)
        if isinstance(w, Button | TextInput)
        and w.opacity > 0
        and w.height > 0
        and w.width > 1
        and w.get_root_window() is not None
    ]


@pytest.mark.parametrize("size", [(720, 1280), (1080, 2340)], ids=["720x1280", "1080x2340"])
def test_targets_reach_and_layout_on_both_phone_sizes(
    window: Any, screenshots: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    from kivy.metrics import dp

    world = make_world()
    core = make_core(tmp_path / "phone", Network(), scale_path="/nonexistent", printer_port=9, camera="")
    core.login(world["courier"].employee_no, "courier-pass-1")
    original = window.size
    window.size = size
    try:
        with running_app(core, screenshots) as ui:
            ui.frames(5)
            app = ui.app
            assert app.root.current == "today"  # the session resumed
            small = {}
            for name in ("today", "scan", "settings", "deliver", "propose", "problems", "end_of_day", "fail"):
                if name == "deliver":
                    core.begin_delivery(world["deliveries"][0].pk)
                if name == "fail":
                    core.begin_fail(world["deliveries"][0].pk)
                if name == "propose":
                    app.screen("propose").job_id = world["deliveries"][0].pk
                app.go(name)
                ui.frames(4)
                assert tuple(app.root.size) == size
                small[name] = [w for w in visible_targets(app.root.current_screen) if w.height < dp(48) - 0.5]
                ui.shot(f"layout_{size[0]}x{size[1]}_{name}")
            assert small == {
                n: []
                for n in ("today", "scan", "settings", "deliver", "propose", "problems", "end_of_day", "fail")
            }
            # One-hand reach: the main action of each screen sits in the bottom third.
            for name, button in (
                ("today", "scan_button"),
                ("deliver", "deliver_button"),
                ("propose", "send_button"),
                ("problems", "back_button"),
                ("end_of_day", "logout"),
                ("fail", "back_button"),
            ):
                app.go(name)
                ui.frames(3)
                widget = ui.ids(name)[button]
                assert widget.to_window(*widget.center)[1] < size[1] / 3, (
                    f"{name}.{button} out of thumb reach"
                )
    finally:
        window.size = original
