"""The real driver reading real serial bytes from the simulator through a pseudo-terminal."""

import threading
import time
from collections.abc import Iterator

import pytest

from mobile.devices.scale import (
    Scale,
    ScaleNotConnected,
    ScaleOverload,
    ScaleProtocolError,
    ScaleUnderload,
    ScaleUnstable,
)
from mobile.devices.scale_sim import ScaleSimulator

PROTOCOLS = ["mtsics", "continuous"]


@pytest.fixture(params=PROTOCOLS)
def sim(request: pytest.FixtureRequest) -> Iterator[ScaleSimulator]:
    with ScaleSimulator(request.param, weight_g=1234, interval=0.01) as simulator:
        yield simulator


@pytest.fixture
def scale(sim: ScaleSimulator) -> Iterator[Scale]:
    device = Scale.open(sim.device_path, sim.protocol, reply_timeout=0.5, poll_interval=0.01)
    yield device
    device.close()


def test_reads_a_stable_weight(scale: Scale) -> None:
    assert scale.read_stable(timeout=3) == 1234


def test_waits_through_unstable_readings(sim: ScaleSimulator, scale: Scale) -> None:
    sim.make_unstable(6)
    assert scale.read_stable(timeout=3) == 1234
    if sim.protocol == "mtsics":
        # 6 unstable answers plus 3 equal stable ones: it really polled through the wobble.
        assert sim.commands.count("SI") >= 9


def test_never_stable_is_unstable_not_a_weight(sim: ScaleSimulator, scale: Scale) -> None:
    sim.make_unstable(10_000)
    with pytest.raises(ScaleUnstable, match="not stable"):
        scale.read_stable(timeout=0.4)


def test_equal_readings_without_the_stable_flag_are_not_enough(sim: ScaleSimulator, scale: Scale) -> None:
    sim.make_unstable(10_000, wobble=False)
    with pytest.raises(ScaleUnstable):
        scale.read_stable(timeout=0.4)


def test_stable_flag_alone_is_not_enough_the_readings_must_repeat(sim: ScaleSimulator, scale: Scale) -> None:
    stop = threading.Event()

    def creep() -> None:  # a parcel settling on a soft platform: "stable" but drifting every gram
        grams = 1000
        while not stop.is_set():
            grams += 1
            sim.set_weight(grams)
            time.sleep(0.002)

    worker = threading.Thread(target=creep)
    worker.start()
    try:
        with pytest.raises(ScaleUnstable):
            scale.read_stable(timeout=0.5)
    finally:
        stop.set()
        worker.join()


def test_stable_count_is_configurable(sim: ScaleSimulator) -> None:
    device = Scale.open(sim.device_path, sim.protocol, stable_count=8, poll_interval=0.01)
    try:
        sim.make_unstable(2)
        assert device.read_stable(timeout=3) == 1234
        if sim.protocol == "mtsics":
            assert sim.commands.count("SI") >= 10
    finally:
        device.close()


@pytest.mark.parametrize(("unit", "grams"), [("kg", 1234), ("g", 1234), ("lb", 1234)])
def test_units_become_grams(sim: ScaleSimulator, scale: Scale, unit: str, grams: int) -> None:
    sim.set_unit(unit)
    assert scale.read_stable(timeout=3) == grams


def test_unit_change_between_reads(sim: ScaleSimulator, scale: Scale) -> None:
    sim.set_weight(25_000)
    assert scale.read_stable(timeout=3) == 25_000
    sim.set_unit("lb")  # 55.116 lb on the display = 25 000.1 g
    assert scale.read_stable(timeout=3) == 25_000
    sim.set_unit("g")
    assert scale.read_stable(timeout=3) == 25_000


def test_overload(sim: ScaleSimulator, scale: Scale) -> None:
    sim.set_fault("overload")
    with pytest.raises(ScaleOverload):
        scale.read_stable(timeout=3)


def test_underload(sim: ScaleSimulator, scale: Scale) -> None:
    sim.set_fault("underload")
    with pytest.raises(ScaleUnderload):
        scale.read_stable(timeout=3)


def test_negative_stable_weight_is_underload(sim: ScaleSimulator, scale: Scale) -> None:
    sim.set_weight(-300)
    with pytest.raises(ScaleUnderload):
        scale.read_stable(timeout=3)


def test_split_lines_and_noise(sim: ScaleSimulator, scale: Scale) -> None:
    sim.split_lines(2)
    sim.inject_noise(b"\x00\xff\xfe")
    sim.make_unstable(2)
    assert scale.read_stable(timeout=5) == 1234


def test_cr_only_terminators(sim: ScaleSimulator, scale: Scale) -> None:
    sim.terminator = b"\r"
    assert scale.read_stable(timeout=3) == 1234


def test_unplugged_while_open_is_not_connected(sim: ScaleSimulator, scale: Scale) -> None:
    assert scale.read_stable(timeout=3) == 1234
    sim.unplug()
    with pytest.raises(ScaleNotConnected, match="scale not connected"):
        scale.read_stable(timeout=3)


def test_opening_a_missing_port_is_not_connected(sim: ScaleSimulator) -> None:
    sim.unplug()
    with pytest.raises(ScaleNotConnected, match="scale not connected"):
        Scale.open(sim.device_path, sim.protocol)


def test_a_silent_scale_is_not_connected_rather_than_zero(sim: ScaleSimulator, scale: Scale) -> None:
    sim.set_weight(0)
    sim.mute()
    started = time.monotonic()
    with pytest.raises(ScaleNotConnected):
        scale.read_stable(timeout=5)
    assert time.monotonic() - started < 2  # gave up after the reply timeout, not the whole read timeout


def test_an_empty_platform_reads_zero_when_the_scale_is_there(sim: ScaleSimulator, scale: Scale) -> None:
    sim.set_weight(0)
    assert scale.read_stable(timeout=3) == 0


def test_wrong_protocol_is_a_protocol_error() -> None:
    with ScaleSimulator("continuous", weight_g=500, interval=0.005) as sim:
        device = Scale.open(sim.device_path, "mtsics", poll_interval=0.01)
        try:
            with pytest.raises(ScaleProtocolError):
                device.read_stable(timeout=3)
        finally:
            device.close()


def test_continuous_readings_from_before_the_read_are_discarded() -> None:
    with ScaleSimulator("continuous", weight_g=500, interval=0.005) as sim:
        device = Scale.open(sim.device_path, "continuous")
        try:
            time.sleep(0.3)  # lines with 500 g pile up in the tty buffer
            sim.set_weight(1234)
            assert device.read_stable(timeout=3) == 1234
        finally:
            device.close()


# -- MT-SICS zero and tare -------------------------------------------------------------------------


@pytest.fixture
def sics() -> Iterator[tuple[ScaleSimulator, Scale]]:
    with ScaleSimulator("mtsics", weight_g=200, interval=0.01) as simulator:
        device = Scale.open(simulator.device_path, "mtsics", reply_timeout=0.5, poll_interval=0.01)
        yield simulator, device
        device.close()


def test_tare_returns_the_tare_and_later_reads_are_net(sics: tuple[ScaleSimulator, Scale]) -> None:
    sim, scale = sics
    assert scale.tare() == 200
    assert scale.read_stable(timeout=3) == 0
    sim.set_weight(1450)
    assert scale.read_stable(timeout=3) == 1250
    assert "T" in sim.commands


def test_zero_sets_the_current_load_as_zero(sics: tuple[ScaleSimulator, Scale]) -> None:
    sim, scale = sics
    scale.zero()
    sim.set_weight(700)
    assert scale.read_stable(timeout=3) == 500


def test_zero_refused_while_unstable(sics: tuple[ScaleSimulator, Scale]) -> None:
    sim, scale = sics
    sim.make_unstable(100)
    with pytest.raises(ScaleUnstable):
        scale.zero()


def test_tare_refused_when_overloaded(sics: tuple[ScaleSimulator, Scale]) -> None:
    sim, scale = sics
    sim.set_fault("overload")
    with pytest.raises(ScaleOverload):
        scale.tare()


def test_zero_on_a_silent_scale_is_not_connected(sics: tuple[ScaleSimulator, Scale]) -> None:
    sim, scale = sics
    sim.mute()
    with pytest.raises(ScaleNotConnected):
        scale.zero(timeout=0.5)


def test_continuous_scales_cannot_be_zeroed_remotely() -> None:
    with ScaleSimulator("continuous", weight_g=200, interval=0.01) as sim:
        device = Scale.open(sim.device_path, "continuous")
        try:
            with pytest.raises(ScaleProtocolError, match="press the key"):
                device.zero()
        finally:
            device.close()
