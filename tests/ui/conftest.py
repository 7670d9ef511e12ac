"""UI tests: the real app under one Xvfb, in one pytest process (Kivy has a single Window).

Kivy reads its environment when first imported, so the variables are set here, before any test
module imports it; the X server is started only when a UI test actually runs.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.xvfb import start_xvfb

_kivy_home = tempfile.mkdtemp(prefix="parcelrun-kivy-")
for name, value in {
    "KIVY_NO_ARGS": "1",
    "KIVY_NO_CONFIG": "1",
    "KIVY_NO_FILELOG": "1",
    "KIVY_HOME": _kivy_home,
    "KIVY_CLIPBOARD": "sdl2",
    "KIVY_METRICS_DENSITY": "2",
    "KIVY_LOG_MODE": "PYTHON",
    "PARCELRUN_FONT_CACHE": os.path.join(_kivy_home, "fonts"),  # the SC face is extracted once per run
}.items():
    os.environ.setdefault(name, value)

SCREENSHOTS = Path(os.environ.get("PARCELRUN_SCREENSHOTS", Path(__file__).parent / "screenshots"))


def _start_xvfb() -> subprocess.Popen[bytes] | None:
    try:
        return start_xvfb("1200x2400x24")
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    proc = _start_xvfb()
    yield os.environ["DISPLAY"]
    if proc is not None:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def window(display: str):
    from kivy.config import Config

    Config.set("graphics", "width", "720")
    Config.set("graphics", "height", "1280")
    from kivy.base import EventLoop

    EventLoop.ensure_window()  # 720 × 1280 px portrait at density 2: 360 × 640 dp
    yield EventLoop.window
    print(f"\nUI screenshots: {SCREENSHOTS}")


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
