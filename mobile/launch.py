"""Build the app core from PARCELRUN_* environment variables (desktop runs, the bench, Android main)."""

from __future__ import annotations

import os
from pathlib import Path

from mobile import i18n
from mobile.core import Config, Core
from mobile.devices.location import Fix


def config_from_env() -> Config:
    env = os.environ.get
    host, _, port = (env("PARCELRUN_PRINTER") or "").partition(":")
    return Config(
        data_dir=Path(env("PARCELRUN_DATA_DIR") or Path.home() / ".parcelrun"),
        server_url=env("PARCELRUN_SERVER") or "http://127.0.0.1:8000",
        scale_port=env("PARCELRUN_SCALE_PORT") or "",
        scale_protocol=env("PARCELRUN_SCALE_PROTOCOL") or "mtsics",
        scale_model=env("PARCELRUN_SCALE_MODEL") or "",
        printer_host=host,
        printer_port=int(port or 9100),
        camera_path=env("PARCELRUN_CAMERA") or "",
    )


def fixed_location() -> Fix | None:
    """A desktop has no GPS: PARCELRUN_LOCATION="lat,lng" stands in; unset means no fix (not 0,0)."""
    raw = os.environ.get("PARCELRUN_LOCATION")
    if not raw:
        return None
    lat, lng = (float(v) for v in raw.split(","))
    return lat, lng, 10.0


def core_from_env() -> Core:
    language = os.environ.get("PARCELRUN_LANG")
    if language:
        i18n.set_language(language)
    location = fixed_location()
    return Core(config_from_env(), locate=lambda: location)
