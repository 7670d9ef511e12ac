"""Smoke: the app starts on the login screen in Chinese with a CJK font."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mobile.core.helpers import Network
from tests.ui.app_fixture import make_core, running_app

pytestmark = [pytest.mark.ui]


def test_the_app_starts_on_login(window, screenshots: Path, tmp_path: Path) -> None:
    core = make_core(tmp_path, Network(), scale_path="/nonexistent", printer_port=9, camera="")
    with running_app(core, screenshots) as ui:
        assert ui.app.root.current == "login"
        assert ui.app.font_path is not None  # a CJK font was found and registered
        assert ui.ids().login_button.text == "登录"
        ui.shot("smoke_login_zh_CN")
