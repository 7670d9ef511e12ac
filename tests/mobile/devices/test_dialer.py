"""The dialer port: the desktop logs what it dials; a handheld that cannot dial says so, never crashes."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from mobile.devices.dialer import AndroidDialer, LoggedDialer, dialer_for_platform
from mobile.devices.ports import DeviceError


def test_the_desktop_dialer_keeps_and_logs_each_number(caplog: Any) -> None:
    dialer = LoggedDialer()
    with caplog.at_level("INFO", logger="parcelrun.dialer"):
        dialer.dial("17000000100,2080")
    assert dialer.dialled == ["17000000100,2080"]
    assert "dial 17000000100,2080" in caplog.text


def test_the_platform_picks_the_dialer() -> None:
    assert isinstance(dialer_for_platform("android"), AndroidDialer)
    assert isinstance(dialer_for_platform("linux"), LoggedDialer)


def test_without_the_android_runtime_the_dialer_raises_a_device_error(monkeypatch: Any) -> None:
    monkeypatch.setitem(sys.modules, "jnius", None)  # as on a handheld build without pyjnius
    with pytest.raises(DeviceError, match="cannot place calls"):
        AndroidDialer().dial("17000000100,2080")
