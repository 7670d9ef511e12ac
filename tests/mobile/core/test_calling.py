"""Calling the customer from the handheld core: the virtual number from the real API in-process,
the dial through the dialer port, the call measured by the app and logged as a ``call_log`` op."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine

from backend.calls.models import NumberBinding
from backend.shipments.services import job_unassign
from backend.sync.models import CallLog
from mobile.core import Config, Core
from mobile.core.calling import NO_NETWORK, REFUSED, CallUnavailable
from mobile.devices.dialer import LoggedDialer
from mobile.devices.handheld import Devices
from mobile.flows.failed_attempt import Step as FStep
from mobile.offline import outbox
from tests.mobile.core.helpers import JPEG, Network, make_world

pytestmark = pytest.mark.django_db
PASSWORD = "courier-pass-1"
NOW = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)


class Clock:
    """The monotonic clock the call desk measures with, moved by the test."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(autouse=True)
def files(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CALLS_FILE = str(tmp_path / "calls.jsonl")
    settings.CALLS_BACKEND = "console"


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    return make_world()


def logged_in(tmp_path: Path, world: dict[str, Any], net: Network) -> tuple[Core, LoggedDialer, Clock]:
    dialer, clock = LoggedDialer(), Clock()
    core = Core(
        Config(data_dir=tmp_path / "phone", pbkdf2_iterations=1000),
        connect=net.connect,
        devices=Devices(dialer=dialer),
    )
    core.calls.clock = clock
    core.login(world["courier"].employee_no, PASSWORD)
    return core, dialer, clock


def test_a_call_from_the_job_dials_the_virtual_number_and_logs_its_measured_time(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    job = world["deliveries"][0]
    net = Network()
    with time_machine.travel(NOW, tick=False):
        core, dialer, clock = logged_in(tmp_path, world, net)
        call = core.call_start(job.pk)
        binding = NumberBinding.objects.get(job=job)
        assert dialer.dialled == [binding.dial] == [call.number.dial]
        # Only the virtual number reached the handheld's dialer, never the customer's own.
        assert "13912345678" not in call.number.dial and len(binding.extension) == 4
        assert core.call_active is call and call.started_at == NOW
        clock.t += 47.2  # talking
        measured = core.call_end("answered")
    assert (measured.outcome, measured.duration_s, measured.started_at) == ("answered", 48, NOW)
    assert core.call_active is None
    (op,) = [o for o in outbox.all_ops(core.store) if o.kind == "call_log"]
    assert (op.job_id, op.payload["duration_s"], op.payload["outcome"]) == (job.pk, 48, "answered")
    report = core.sync_now()
    assert report is not None and report.rejected == 0
    logged = CallLog.objects.get(job=job)
    assert (logged.duration_s, logged.outcome, logged.called_at) == (48, "answered", NOW)


def test_back_in_the_app_ends_the_call_however_late_the_outcome_is_tapped(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    core, _dialer, clock = logged_in(tmp_path, world, Network())
    core.call_start(world["deliveries"][0].pk)
    clock.t += 20.5
    core.call_returned()  # Android: the phone app hung up, our app is in front again
    clock.t += 30
    core.call_returned()  # a later return (another app) does not move it
    assert core.calls.elapsed_s() == 20
    assert core.call_end("no_answer").duration_s == 21


def test_calling_twice_within_the_binding_dials_the_same_number(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    core, dialer, _clock = logged_in(tmp_path, world, Network())
    job = world["deliveries"][0].pk
    core.call_start(job)
    core.call_end("busy")
    core.call_start(job)
    core.call_end("answered")
    assert len(dialer.dialled) == 2 and dialer.dialled[0] == dialer.dialled[1]
    assert NumberBinding.objects.count() == 1


def test_offline_there_is_no_number_and_a_clear_message(tmp_path: Path, world: dict[str, Any]) -> None:
    net = Network()
    core, dialer, _clock = logged_in(tmp_path, world, net)
    net.up = False
    with pytest.raises(CallUnavailable) as refused:
        core.call_start(world["deliveries"][0].pk)
    assert refused.value.message == NO_NETWORK == "No network: cannot get the virtual number"
    assert dialer.dialled == [] and core.call_active is None
    assert not [o for o in outbox.all_ops(core.store) if o.kind == "call_log"]


def test_a_job_taken_away_meanwhile_gets_no_number(tmp_path: Path, world: dict[str, Any]) -> None:
    core, dialer, _clock = logged_in(tmp_path, world, Network())
    job = world["deliveries"][0]
    job_unassign(job_id=job.pk, ctx=world["boss"].ctx, reason="rebalance")
    with pytest.raises(CallUnavailable) as refused:
        core.call_start(job.pk)  # still on the handheld until the next pull
    assert refused.value.message == REFUSED["not_found"] and dialer.dialled == []


def test_a_call_from_the_failed_attempt_joins_its_evidence_with_its_dial_time(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    job = world["deliveries"][1]
    with time_machine.travel(NOW, tick=False) as traveller:
        core, _dialer, clock = logged_in(tmp_path, world, Network())
        fail = core.begin_fail(job.pk)
        fail.choose_reason("not_home")
        fail.add_photo(JPEG, "image/jpeg")
        core.call_start(job.pk)
        clock.t += 12
        measured = core.call_hang_up("no_answer")  # not recorded yet: the attempt's draft keeps it
        assert not [o for o in outbox.all_ops(core.store) if o.kind == "call_log"]
        fail.log_call(measured.outcome, measured.duration_s, measured.started_at.isoformat())
        assert fail.submit_evidence() is FStep.NEXT_STEP
        fail.choose_next("retry")
        assert fail.confirm() is FStep.DONE
        traveller.shift(timedelta(minutes=3))
        core.finish_fail()
    report = core.sync_now()
    assert report is not None and report.rejected == 0
    logged = CallLog.objects.get(job=job)
    assert (logged.duration_s, logged.outcome, logged.called_at) == (12, "no_answer", NOW)


def restarted(tmp_path: Path, net: Network, clock: Clock) -> Core:
    """The app started again on the same data dir (the one before was stopped, nothing closed)."""
    core = Core(Config(data_dir=tmp_path / "phone", pbkdf2_iterations=1000), connect=net.connect)
    core.calls.clock = clock
    assert core.resume()
    return core


def test_a_call_the_app_was_stopped_in_is_asked_about_and_logged_once_after_the_restart(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    """Android stops the app while the phone app is in front: the call comes back with the app."""
    job = world["deliveries"][0]
    net = Network()
    with time_machine.travel(NOW, tick=False) as traveller:
        first, _dialer, clock = logged_in(tmp_path, world, net)
        first.call_start(job.pk)
        traveller.shift(timedelta(seconds=95))  # talking; the process is stopped meanwhile
        clock.t = 5.0  # a new process: its monotonic clock starts anywhere
        second = restarted(tmp_path, net, clock)
        call = second.call_active
        assert call is not None and call.interrupted and call.job_id == job.pk
        assert call.started_at == NOW and call.number == first.call_active.number  # type: ignore[union-attr]
        clock.t += 40  # the courier reads the panel before tapping: not call time
        assert second.calls.elapsed_s() == 95
        measured = second.call_end("answered")
    assert (measured.duration_s, measured.started_at) == (95, NOW)
    third = restarted(tmp_path, net, clock)  # and once more: nothing left to ask about
    assert third.call_active is None
    (op,) = [o for o in outbox.all_ops(third.store) if o.kind == "call_log"]
    assert (op.payload["outcome"], op.payload["duration_s"]) == ("answered", 95)
    report = third.sync_now()
    assert report is not None and report.rejected == 0
    logged = CallLog.objects.get(job=job)
    assert (logged.duration_s, logged.outcome, logged.called_at) == (95, "answered", NOW)


def test_a_finished_call_leaves_nothing_to_recover(tmp_path: Path, world: dict[str, Any]) -> None:
    net = Network()
    first, _dialer, clock = logged_in(tmp_path, world, net)
    first.call_start(world["deliveries"][0].pk)
    first.call_end("busy")
    assert restarted(tmp_path, net, clock).call_active is None


def test_a_stopped_call_on_a_job_taken_away_meanwhile_is_dropped(
    tmp_path: Path, world: dict[str, Any]
) -> None:
    job = world["deliveries"][0]
    net = Network()
    first, _dialer, clock = logged_in(tmp_path, world, net)
    first.call_start(job.pk)
    job_unassign(job_id=job.pk, ctx=world["boss"].ctx, reason="rebalance")
    first.sync_now()  # the pull takes the job off the handheld
    assert first.store.job(job.pk) is None  # type: ignore[union-attr]
    second = restarted(tmp_path, net, clock)
    assert second.call_active is None
    assert restarted(tmp_path, net, clock).call_active is None  # and it is not asked again
