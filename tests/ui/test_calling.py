"""Calling the customer through the real app under Xvfb (issue 17): the courier taps 拨打电话 on
Deliver, Today's row or the failed attempt, the app gets the job's virtual number from the API
in-process, "dials" it (the desktop dialer logs it), and the courier's tap on the outcome hangs up:
the call is logged with its dial time and a measured, non-zero duration. Offline: a clear message."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from backend.calls.models import NumberBinding
from backend.sync.models import CallLog
from mobile.core.calling import NO_NETWORK
from mobile.devices.dialer import LoggedDialer
from mobile.offline import outbox
from tests.mobile.core.helpers import Network, make_world
from tests.ui.app_fixture import make_core, running_app
from tests.ui.test_pickup_contents import SIZES, sized

pytestmark = [pytest.mark.ui, pytest.mark.django_db]
PASSWORD = "courier-pass-1"
REAL_PHONE = "13912345678"  # the recipients' number in the fixtures: never on screen, never dialled


@pytest.fixture(autouse=True)
def console_numbers(tmp_path: Path, settings: Any) -> None:
    settings.CALLS_BACKEND = "console"
    settings.CALLS_FILE = str(tmp_path / "calls.jsonl")
    settings.MEDIA_ROOT = tmp_path / "media"


def a_day(tmp_path: Path) -> tuple[dict[str, Any], Network, Any, LoggedDialer]:
    world, net = make_world(), Network()
    core = make_core(tmp_path / "phone", net, scale_path="", printer_port=9, camera="")
    dialer = LoggedDialer()
    core.devices.dialer = core.calls.dialer = dialer
    core.login(world["courier"].employee_no, PASSWORD)
    return world, net, core, dialer


def texts(widget: Any) -> str:
    return " ".join(str(getattr(w, "text", "")) for w in widget.walk())


def gone(ui: Any, panel: Any) -> bool:
    """The panel closed (a ModalView leaves the window after its short fade)."""
    deadline = time.monotonic() + 2
    while panel.parent is not None and time.monotonic() < deadline:
        ui.frames(1)
        time.sleep(0.02)
    return panel.parent is None


def talk(ui: Any, seconds: float) -> None:
    """Real time passes while the courier talks (the app measures it on the monotonic clock)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ui.frames(1)
        time.sleep(0.05)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
@pytest.mark.parametrize("size", SIZES, ids=["720x1280", "1080x2340"])
def test_a_call_from_deliver_is_logged_with_its_measured_time(
    window: Any, screenshots: Path, tmp_path: Path, language: str, size: tuple[int, int]
) -> None:
    world, net, core, dialer = a_day(tmp_path)
    job = world["deliveries"][0]
    tag = f"{language}_{size[0]}x{size[1]}_17"
    with sized(window, size), running_app(core, screenshots, language) as ui:
        app, tr = ui.app, ui.app.tr
        app.go("today")
        ui.frames(3)
        ui.scan(job.shipment.tracking_no)
        assert app.root.current == "deliver"
        deliver = app.root.get_screen("deliver")
        ui.tap(deliver.ids.call_button)
        panel = app.call_panel
        binding = NumberBinding.objects.get(job=job)
        assert dialer.dialled == [binding.dial] and panel.calling
        shown = texts(panel)
        assert binding.number[7:] in shown and binding.extension in shown
        assert REAL_PHONE not in shown and REAL_PHONE[-4:] not in shown
        talk(ui, 1.6)
        running = {tr("Call time {time}").format(time=f"0:0{n}") for n in (1, 2, 3)}
        assert panel.elapsed in running  # the running time, ticking
        ui.shot(f"{tag}_call_panel")
        answered = next(c for c in panel.ids.outcomes.children if c.value == "answered")
        ui.tap(answered)
        assert gone(ui, panel) and core.call_active is None
        assert deliver.last_call.startswith(tr("Answered"))
        ui.shot(f"{tag}_call_logged")
        (op,) = [o for o in outbox.all_ops(core.store) if o.kind == "call_log"]
        assert op.job_id == job.pk and op.payload["outcome"] == "answered"
        assert 2 <= op.payload["duration_s"] <= 10  # 1.6 s and more, rounded up
        report = core.sync_now()
        assert report is not None and report.rejected == 0
        # Offline: no number can be had; the courier is told so, in their language.
        net.up = False
        ui.tap(deliver.ids.call_button)
        panel = app.call_panel
        assert panel.refused and panel.message == tr(NO_NETWORK)
        if language == "zh_CN":
            assert panel.message == "无网络，无法获取虚拟号"
        ui.shot(f"{tag}_call_offline")
        ui.tap(panel.ids.close_button)
        assert gone(ui, panel) and len(dialer.dialled) == 1
    logged = CallLog.objects.get(job=job)
    assert logged.outcome == "answered" and logged.duration_s == op.payload["duration_s"] >= 1


def test_calls_from_todays_row_and_the_failed_attempt(window: Any, screenshots: Path, tmp_path: Path) -> None:
    world, _net, core, dialer = a_day(tmp_path)
    first, second = world["deliveries"][0], world["deliveries"][1]
    with running_app(core, screenshots, "zh_CN") as ui:
        app = ui.app
        app.go("today")
        ui.frames(4)
        today = app.root.get_screen("today")
        rows = {r.job_id: r for r in today.ids.route.children[0].children}
        ui.shot("zh_CN_17_today_call_buttons")
        ui.tap(rows[str(first.pk)].ids.call_button)
        assert app.root.current == "today" and app.call_panel.calling  # the row's call, not the row
        talk(ui, 1.1)
        app.on_resume()  # Android: the courier hung up in the phone app and is back in ours
        talked = core.calls.elapsed_s()
        talk(ui, 1.1)  # the time spent choosing the outcome is not call time
        assert core.calls.elapsed_s() == talked
        ui.shot("zh_CN_17_call_from_today")
        ui.tap(next(c for c in app.call_panel.ids.outcomes.children if c.value == "busy"))
        core.begin_fail(second.pk)
        app.go("fail")
        ui.frames(3)
        fail = app.screen("fail")
        ui.tap(next(c for c in fail.ids.reasons.children if c.value == "not_home"))
        ui.tap(fail.ids.call_button)
        talk(ui, 1.1)
        ui.tap(next(c for c in app.call_panel.ids.outcomes.children if c.value == "no_answer"))
        (call,) = core.failure.draft.calls
        assert call.outcome == "no_answer" and call.duration_s >= 2 and call.started_at
        assert "无人接听" in fail.evidence
        ui.shot("zh_CN_17_fail_call_logged")
        assert len(dialer.dialled) == 2 and REAL_PHONE not in "".join(dialer.dialled)
        ops = [o for o in outbox.all_ops(core.store) if o.kind == "call_log"]
        assert [(o.job_id, o.payload["outcome"]) for o in ops] == [(first.pk, "busy")]
        assert ops[0].payload["duration_s"] in (talked, talked + 1)  # rounded up, to the return to the app


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_app_stopped_during_a_call_asks_how_it_went_when_it_starts_again(
    window: Any, screenshots: Path, tmp_path: Path, language: str
) -> None:
    """Android stopped the app while the phone app was in front: the next start shows the call panel
    (the same virtual number, the call time up to the restart), and one tap logs the call."""
    world, net, first, dialer = a_day(tmp_path)
    job = world["deliveries"][0]
    first.call_start(job.pk)  # dialled; the process is stopped here, nothing closed
    assert dialer.dialled
    time.sleep(1.2)  # the call goes on while the app is gone
    again = make_core(tmp_path / "phone", net, scale_path="", printer_port=9, camera="")
    with running_app(again, screenshots, language) as ui:
        app, tr = ui.app, ui.app.tr
        ui.frames(4)  # build() resumed the session and found the call; the panel opens next frame
        panel = app.call_panel
        assert panel.calling and panel.parent is not None
        assert panel.message == tr("The app was closed during this call. Tap how it went:")
        if language == "zh_CN":
            assert panel.message == "通话期间应用被关闭了，请选择通话结果："
        binding = NumberBinding.objects.get(job=job)
        assert binding.number[7:] in texts(panel) and REAL_PHONE not in texts(panel)
        ui.shot(f"{language}_17_call_after_restart")
        ui.tap(next(c for c in panel.ids.outcomes.children if c.value == "no_answer"))
        assert gone(ui, panel) and again.call_active is None
        (op,) = [o for o in outbox.all_ops(again.store) if o.kind == "call_log"]
        assert op.job_id == job.pk and op.payload["outcome"] == "no_answer"
        assert 1 <= op.payload["duration_s"] <= 30  # dial to restart, on the wall clock
