"""A scale on a pseudo-terminal, speaking MT-SICS or continuous output, for tests and demos.

    python -m mobile.devices.scale_sim --protocol mtsics --weight 1234

prints the device path (``/dev/pts/N``) to give to ``Scale.open``. In tests, use it as a context manager
and script it: ``set_weight``, ``make_unstable``, ``set_fault``, ``set_unit``, ``inject_noise``,
``split_lines``, ``mute`` and ``unplug``. The bytes go through a real tty, so the driver under test
reads exactly what it would read from a USB-serial adapter.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pty
import select
import threading
import time
import tty
from decimal import Decimal

from mobile.devices.scale_protocol import GRAMS_PER_UNIT, LineSplitter

JITTER_G = (7, -4, 2)  # how an unstable platform wobbles; never equal twice in a row


class ScaleSimulator:
    def __init__(
        self,
        protocol: str = "mtsics",
        *,
        weight_g: int = 0,
        unit: str = "kg",
        interval: float = 0.02,
        terminator: bytes = b"\r\n",
    ) -> None:
        if protocol not in ("mtsics", "continuous"):
            raise ValueError(f"unknown protocol {protocol!r}")
        self.protocol = protocol
        self.interval = interval
        self.terminator = terminator
        self._master, self._slave = pty.openpty()
        # Raw before anyone opens it: a cooked pty would echo commands back and turn CR into LF.
        tty.setraw(self._slave)
        # A UART drops bytes nobody reads; a blocking pty write would hang the simulator instead.
        os.set_blocking(self._master, False)
        self.device_path = os.ttyname(self._slave)
        self._lock = threading.Lock()
        self._weight_g = weight_g
        self._unit = unit
        self._zero_g = 0
        self._tare_g = 0
        self._unstable_left = 0
        self._wobble = 0
        self._wobble_on = True
        self._fault: str | None = None
        self._noise = b""
        self._fragment: int | None = None
        self._muted = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.commands: list[str] = []

    # -- scripting -----------------------------------------------------------------------------

    def set_weight(self, grams: int) -> None:
        with self._lock:
            self._weight_g = grams

    def set_unit(self, unit: str) -> None:
        if unit not in GRAMS_PER_UNIT:
            raise ValueError(f"unknown unit {unit!r}")
        with self._lock:
            self._unit = unit

    def make_unstable(self, readings: int, *, wobble: bool = True) -> None:
        """The next ``readings`` readings are flagged unstable and (unless ``wobble=False``) jitter."""
        with self._lock:
            self._unstable_left = readings
            self._wobble_on = wobble

    def set_fault(self, fault: str | None) -> None:
        """``"overload"``, ``"underload"`` or None."""
        if fault not in (None, "overload", "underload"):
            raise ValueError(f"unknown fault {fault!r}")
        with self._lock:
            self._fault = fault

    def set_tare(self, grams: int) -> None:
        """Tare as if the key on the scale was pressed (continuous scales cannot be tared remotely)."""
        with self._lock:
            self._tare_g = grams

    def inject_noise(self, junk: bytes) -> None:
        """Send ``junk`` just before the next line."""
        with self._lock:
            self._noise += junk

    def split_lines(self, fragment_bytes: int | None) -> None:
        """Write each line in pieces of this many bytes, pausing between them so they arrive in separate reads."""
        with self._lock:
            self._fragment = fragment_bytes

    def mute(self, muted: bool = True) -> None:
        """Stop answering while the port stays open: a scale switched off behind its USB adapter."""
        with self._lock:
            self._muted = muted

    def unplug(self) -> None:
        """Pull the cable: the pty goes away and the driver's next read fails."""
        self.stop()
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> ScaleSimulator:
        self._thread = threading.Thread(target=self._run, name="scale-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> ScaleSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.unplug()

    # -- the device ----------------------------------------------------------------------------

    def _run(self) -> None:
        commands = LineSplitter()
        next_emit = time.monotonic()
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._master], [], [], 0.005)
                data = os.read(self._master, 1024) if ready else b""
            except OSError:
                data = b""  # EIO until the driver opens the slave
            if self.protocol == "mtsics":
                for line in commands.feed(data):
                    self._answer(line.decode("ascii", "replace").strip())
            elif time.monotonic() >= next_emit:
                next_emit += self.interval
                with self._lock:
                    muted = self._muted
                if not muted:
                    self._send(self._continuous_line())

    def _answer(self, command: str) -> None:
        self.commands.append(command)
        with self._lock:
            if self._muted:
                return
            fault, unstable = self._fault, self._unstable_left > 0
        if command in ("S", "SI"):
            if fault:
                self._send("S +" if fault == "overload" else "S -")
                return
            if command == "S":
                while self._unstable_left > 0:  # S waits for stability before answering
                    self._next_value()
                    time.sleep(self.interval)
            value, stable = self._next_value()
            self._send(f"S {'S' if stable else 'D'} {self._format(value):>10} {self._unit}")
        elif command == "Z":
            if fault or unstable:
                self._send("Z +" if fault == "overload" else "Z -" if fault else "Z I")
                return
            with self._lock:
                self._zero_g, self._tare_g = self._weight_g, 0
            self._send("Z A")
        elif command == "T":
            if fault or unstable:
                self._send("T +" if fault == "overload" else "T -" if fault else "T I")
                return
            with self._lock:
                self._tare_g = self._weight_g - self._zero_g
                tare = self._tare_g
            self._send(f"T S {self._format(tare):>10} {self._unit}")
        else:
            self._send("ES")

    def _next_value(self) -> tuple[int, bool]:
        """The displayed (net) weight and whether it is stable; consumes one unstable reading."""
        with self._lock:
            value = self._weight_g - self._zero_g - self._tare_g
            if self._unstable_left > 0:
                self._unstable_left -= 1
                self._wobble += 1
                jitter = JITTER_G[self._wobble % len(JITTER_G)] if self._wobble_on else 0
                return value + jitter, False
            return value, True

    def _continuous_line(self) -> str:
        with self._lock:
            fault, kind = self._fault, "NT" if self._tare_g else "GS"
        if fault:
            return f"OL,{kind},{'+' if fault == 'overload' else '-'}999.999kg"
        value, stable = self._next_value()
        sign = "-" if value < 0 else "+"
        text = self._format(abs(value))
        unit = " g" if self._unit == "g" else self._unit
        return f"{'ST' if stable else 'US'},{kind},{sign}{text.zfill(7)}{unit}"

    def _format(self, grams: int) -> str:
        if self._unit == "g":
            return str(grams)
        return f"{Decimal(grams) / GRAMS_PER_UNIT[self._unit]:.3f}"

    def _send(self, line: str) -> None:
        with self._lock:
            payload = self._noise + line.encode("ascii") + self.terminator
            self._noise = b""
            size = self._fragment or len(payload)
        for start in range(0, len(payload), size):
            try:
                os.write(self._master, payload[start : start + size])
            except OSError:
                return  # buffer full or nobody listening: the bytes are lost, as on a real line
            if size < len(payload):
                time.sleep(0.003)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--protocol", choices=["mtsics", "continuous"], default="mtsics")
    parser.add_argument("--weight", type=int, default=1234, help="grams on the platform")
    parser.add_argument("--unit", choices=sorted(GRAMS_PER_UNIT), default="kg")
    parser.add_argument("--unstable", type=int, default=0, help="first N readings are unstable")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between continuous lines")
    args = parser.parse_args()
    sim = ScaleSimulator(args.protocol, weight_g=args.weight, unit=args.unit, interval=args.interval)
    sim.make_unstable(args.unstable)
    sim.start()
    print(sim.device_path, flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        sim.unplug()


if __name__ == "__main__":
    main()
