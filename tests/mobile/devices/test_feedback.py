"""Sound and vibration through the port: logged on a desktop, never raising on a handheld without them."""

from __future__ import annotations

import logging

import pytest

from mobile.devices.feedback import AndroidFeedback, LoggedFeedback, feedback_for_platform


def test_the_desktop_feedback_keeps_and_logs_every_signal(caplog: pytest.LogCaptureFixture) -> None:
    port = LoggedFeedback()
    with caplog.at_level(logging.INFO, "parcelrun.feedback"):
        port.signal("ok", 0)
        port.signal("error", 600)
    assert port.calls == [("ok", 0), ("error", 600)]
    assert "error tone, vibrate 600 ms" in caplog.text


def test_the_platform_picks_the_implementation() -> None:
    assert isinstance(feedback_for_platform("linux"), LoggedFeedback)
    assert isinstance(feedback_for_platform("android"), AndroidFeedback)


def test_android_feedback_without_its_services_logs_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    # No pyjnius and no plyer here: a missing vibrator or tone generator must not stop a delivery.
    with caplog.at_level(logging.ERROR, "parcelrun.feedback"):
        AndroidFeedback().signal("error", 400)
    assert "tone error failed" in caplog.text
