"""The handheld's settings (server, devices, sync interval) and how the core opens HTTP connections."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mobile.devices.dialer import dialer_for_platform
from mobile.devices.feedback import feedback_for_platform
from mobile.devices.handheld import Devices, LazyScale
from mobile.devices.printer import NetworkPrinter
from mobile.offline.sync import Transport


@dataclass
class Config:
    data_dir: Path
    server_url: str = "http://127.0.0.1:8000"
    scale_port: str = ""
    scale_protocol: str = "mtsics"
    scale_model: str = ""
    printer_host: str = ""
    printer_port: int = 9100
    camera_path: str = ""
    sync_interval_s: float = 15.0
    pbkdf2_iterations: int = 200_000
    time_zone: str = "Asia/Shanghai"
    # The courier's shift when the server's profile does not say (times offered to propose fall in it).
    shift_start: str = "08:00"
    shift_end: str = "20:00"


def http_connect(config: Config) -> Callable[[str], Transport]:
    """``connect(token)`` for the app: one HTTP transport to the configured server per call."""
    from mobile.offline.transport import HttpTransport

    return lambda token: HttpTransport(config.server_url, token, timeout_s=5.0)


def devices_from_config(config: Config) -> Devices:
    """The scale and printer named in the settings (none when unset: the flows then say so)."""
    scale = LazyScale(config.scale_port, config.scale_protocol) if config.scale_port else None
    printer = NetworkPrinter(config.printer_host, config.printer_port) if config.printer_host else None
    platform = "android" if "ANDROID_ARGUMENT" in os.environ else sys.platform
    return Devices(
        scale=scale,
        scale_model=config.scale_model or ("serial scale" if scale else ""),
        printer=printer,
        printer_address=(config.printer_host, config.printer_port) if config.printer_host else None,
        camera_path=config.camera_path,
        # python-for-android sets ANDROID_ARGUMENT: plyer's vibrator, Android's tones and dialer there.
        feedback=feedback_for_platform(platform),
        dialer=dialer_for_platform(platform),
    )
