"""Build the real app around a core wired to the in-process API, and tear it down for the next test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mobile.core import Config, Core
from mobile.devices.handheld import Devices, LazyScale
from mobile.devices.printer import NetworkPrinter
from tests.mobile.core.helpers import Network
from tests.ui.driver import Driver

HERE = (30.28, 120.13, 6.0)


def make_core(data_dir: Path, net: Network, *, scale_path: str, printer_port: int, camera: str) -> Core:
    devices = Devices(
        scale=LazyScale(scale_path, "mtsics"),
        scale_model="SimScale MT",
        printer=NetworkPrinter("127.0.0.1", printer_port),
        printer_address=("127.0.0.1", printer_port),
        camera_path=camera,
    )
    return Core(
        Config(data_dir=data_dir, pbkdf2_iterations=1000),
        connect=net.connect,
        locate=lambda: HERE,
        devices=devices,
        background=lambda work, _name: (
            work()
        ),  # like app.synchronous: the in-process API lives on this thread
    )


@contextmanager
def running_app(core: Core, shots: Path, language: str = "zh_CN") -> Iterator[Driver]:
    from kivy.clock import Clock
    from kivy.core.window import Window

    from mobile import i18n
    from mobile.screens.app import ParcelrunApp

    i18n.set_language(language)
    app: Any = ParcelrunApp(core)
    app.lang = language
    app.synchronous = True  # the in-process API and its test database live on this thread
    app._run_prepare()
    driver = Driver(app, shots)
    driver.frames(3)
    try:
        yield driver
    finally:
        app.dispatch("on_stop")  # also drops kv's cached ``app`` (ProxyApp), so the next app is seen
        Window.unbind(on_key_down=app._on_key_down)
        Clock.unschedule(app._poll_scanner)
        Window.remove_widget(app.root)
        core.stop_background()
        if core.store is not None:
            core.store.close()


@contextmanager
def sized(window: Any, size: tuple[int, int]) -> Iterator[None]:
    """The window at a handheld's size for the block (screenshots at 720 x 1280 and 1080 x 2340)."""
    original = window.size
    window.size = size
    try:
        yield
    finally:
        window.size = original
