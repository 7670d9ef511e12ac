"""Log out from Settings: the screen shows progress while the core logs out off the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.mobile.core.helpers import Network, make_world
from tests.ui.app_fixture import make_core, running_app

pytestmark = [pytest.mark.ui, pytest.mark.django_db]
PASSWORD = "courier-pass-1"


def test_log_out_shows_progress_until_the_core_reports_done(
    window: Any, screenshots: Path, tmp_path: Path
) -> None:
    world = make_world()
    core = make_core(tmp_path / "phone", Network(), scale_path="/nonexistent", printer_port=9, camera="")
    held: list[Callable[[], None]] = []
    core.background = lambda work, _name: held.append(work)  # the worker's part waits for the test
    with running_app(core, screenshots, "en") as ui:
        app = ui.app
        ids = ui.ids("login")
        ui.type_into(ids.employee_no, world["courier"].employee_no)
        ui.type_into(ids.password, PASSWORD)
        ui.tap(ids.login_button)
        assert app.root.current == "today"
        app.go("settings")
        ui.tap(app.root.get_screen("settings").ids.logout)  # to the end of day, where log out is
        settings = app.root.get_screen("end_of_day")
        assert app.root.current == "end_of_day"
        ui.tap(settings.ids.logout)
        assert settings.logging_out and settings.ids.logout.text == "Logging out…"
        assert settings.ids.logout.disabled and app.root.current == "end_of_day" and len(held) == 1
        ui.shot("en_settings_logging_out")
        held.pop()()  # the log out itself, here: the in-process API and its test database live on this thread
        ui.frames(3)
        assert app.root.current == "login" and core.session is None
        assert not settings.logging_out and settings.ids.logout.text == "Log out"
