"""The scale facade the pickup flow uses: ``Scale.open(port, protocol).read_stable()`` → grams.

A weight goes on a waybill and into the price, so the facade is strict: it wants the scale's own stable
flag *and* N equal readings in a row, and every way of not having a weight is a typed error the UI can
show. In particular a missing, unplugged or silent scale is ``ScaleNotConnected``, never 0 g.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import Protocol, TypedDict, Unpack

import serial

from mobile.devices.ports import DeviceError
from mobile.devices.scale_protocol import (
    Ack,
    Busy,
    CommandError,
    Garbage,
    Overload,
    Reading,
    ScaleEvent,
    Underload,
    make_parser,
)

if sys.platform == "win32":  # no termios: pyserial raises SerialException only
    _TermiosError = OSError
else:
    from termios import error as _TermiosError

# pyserial lets termios.error (not an OSError) escape from tcflush on a port that has gone away.
_PORT_ERRORS = (serial.SerialException, OSError, _TermiosError)

# This many unparseable lines in a row means the wrong protocol or baud rate, not line noise.
MAX_GARBAGE_RUN = 20


class ScaleOptions(TypedDict, total=False):
    """The tuning ``Scale.open`` passes through to ``Scale``."""

    stable_count: int
    reply_timeout: float
    poll_interval: float
    clock: Callable[[], float]


class ScaleError(DeviceError):
    default_message = "scale error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)


class ScaleNotConnected(ScaleError):
    default_message = "scale not connected"


class ScaleOverload(ScaleError):
    default_message = "scale overloaded: too heavy for this scale"


class ScaleUnderload(ScaleError):
    """Underload or a negative weight: usually the platform was lifted or zeroed with a parcel on it."""

    default_message = "scale reads below zero: clear the platform and zero the scale"


class ScaleUnstable(ScaleError):
    default_message = "weight not stable: keep the parcel still"


class ScaleProtocolError(ScaleError):
    default_message = "scale sent something unexpected: check the scale protocol and baud rate"


class Transport(Protocol):
    """The part of ``serial.Serial`` the facade uses."""

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes, /) -> int | None: ...

    def reset_input_buffer(self) -> None: ...

    def close(self) -> None: ...


class _StableRun:
    """Counts equal stable readings in a row; anything else starts the count again."""

    def __init__(self, needed: int) -> None:
        self.needed = needed
        self.count = 0
        self.last: Reading | None = None

    def add(self, reading: Reading) -> bool:
        if not reading.stable:
            self.count, self.last = 0, None
            return False
        self.count = self.count + 1 if reading == self.last else 1
        self.last = reading
        return self.count >= self.needed


class Scale:
    def __init__(
        self,
        transport: Transport,
        protocol: str,
        *,
        stable_count: int = 3,
        reply_timeout: float = 1.0,
        poll_interval: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if stable_count < 1:
            raise ValueError("stable_count must be at least 1")
        self._transport = transport
        self._parser = make_parser(protocol)
        self.protocol = protocol
        self.stable_count = stable_count
        self.reply_timeout = reply_timeout
        self.poll_interval = poll_interval
        self._clock = clock

    @classmethod
    def open(
        cls, port: str, protocol: str, *, baudrate: int = 9600, **options: Unpack[ScaleOptions]
    ) -> Scale:
        make_parser(protocol)  # fail on a typo before touching the port
        try:
            # A short read timeout keeps the loop responsive; the facade keeps its own deadlines.
            transport = serial.Serial(port, baudrate=baudrate, timeout=0.05, write_timeout=1.0)
        except _PORT_ERRORS as exc:
            raise ScaleNotConnected(f"scale not connected ({port})") from exc
        return cls(transport, protocol, **options)

    def close(self) -> None:
        with contextlib.suppress(*_PORT_ERRORS):
            self._transport.close()

    def read_stable(self, timeout: float = 5.0) -> int:
        """Grams once the scale says stable and ``stable_count`` equal readings arrived in a row.

        Raises ScaleUnstable if that does not happen within ``timeout`` seconds. A stable 0 g is
        returned as 0: an empty platform is a real reading, and the pricing rules refuse it.
        """
        deadline = self._clock() + timeout
        # Continuous scales fill the OS buffer while nobody listens; those readings are from before
        # the parcel was put down.
        self._reset_input()
        self._parser = make_parser(self.protocol)
        run = _StableRun(self.stable_count)
        poll = b"SI\r\n" if self.protocol == "mtsics" else None
        saw_reading = False
        for event in self._events(deadline, poll=poll, silence=self.reply_timeout):
            if isinstance(event, Reading):
                saw_reading = True
                if run.add(event):
                    if event.grams < 0:
                        raise ScaleUnderload()
                    return event.grams
            elif isinstance(event, Overload):
                raise ScaleOverload()
            elif isinstance(event, Underload):
                raise ScaleUnderload()
            elif isinstance(event, Busy):
                run = _StableRun(self.stable_count)
            elif isinstance(event, CommandError) and event.code != "ET":
                # ET is a corrupted command on a noisy line and worth retrying; ES/EL will not go away.
                raise ScaleProtocolError(f"scale rejected the weigh command ({event.code})")
        if saw_reading:
            raise ScaleUnstable()
        raise ScaleProtocolError("no readable weight from the scale: check the protocol and baud rate")

    def zero(self, timeout: float = 5.0) -> None:
        """Set zero (MT-SICS ``Z``). The scale itself waits for stability before answering."""
        self._command(b"Z\r\n", "Z", timeout)

    def tare(self, timeout: float = 5.0) -> int:
        """Tare (MT-SICS ``T``) and return the stored tare weight in grams."""
        ack = self._command(b"T\r\n", "T", timeout)
        if ack.grams is None:
            raise ScaleProtocolError("scale confirmed tare without a weight")
        return ack.grams

    def _command(self, command: bytes, name: str, timeout: float) -> Ack:
        if self.protocol != "mtsics":
            raise ScaleProtocolError("this scale has no remote zero or tare: press the key on the scale")
        self._reset_input()
        self._parser = make_parser(self.protocol)
        self._write(command)
        # The scale stays silent while it waits for stability, so silence is only fatal at the deadline.
        for event in self._events(self._clock() + timeout, poll=None, silence=timeout):
            if isinstance(event, Ack) and event.command == name:
                if event.status in ("A", "S"):
                    return event
                if event.status == "+":
                    raise ScaleOverload(f"weight is above the {name} range of the scale")
                if event.status == "-":
                    raise ScaleUnderload(f"weight is below the {name} range of the scale")
                raise ScaleUnstable(f"scale cannot {'zero' if name == 'Z' else 'tare'} now: keep it still")
            if isinstance(event, CommandError):
                raise ScaleProtocolError(f"scale rejected {name} ({event.code})")
        raise ScaleNotConnected(f"scale did not answer {name}")

    def _events(self, deadline: float, *, poll: bytes | None, silence: float) -> Iterator[ScaleEvent]:
        """Events until ``deadline``; raises ScaleNotConnected after ``silence`` seconds without a byte."""
        last_byte = self._clock()
        sent_at = float("-inf")
        awaiting_reply = False
        garbage_run = 0
        while (now := self._clock()) < deadline:
            if poll is not None and not awaiting_reply and now - sent_at >= self.poll_interval:
                self._write(poll)
                awaiting_reply, sent_at = True, now
            data = self._read()
            now = self._clock()
            if not data:
                if now - last_byte >= silence:
                    raise ScaleNotConnected()
                continue
            last_byte = now
            for event in self._parser.feed(data):
                awaiting_reply = False  # every line answers one poll, even an unreadable one
                if isinstance(event, Garbage):
                    garbage_run += 1
                    if garbage_run > MAX_GARBAGE_RUN:
                        raise ScaleProtocolError()
                    continue
                garbage_run = 0
                yield event

    def _read(self) -> bytes:
        try:
            return self._transport.read(max(1, self._transport.in_waiting))
        except _PORT_ERRORS as exc:
            raise ScaleNotConnected() from exc

    def _write(self, data: bytes) -> None:
        try:
            self._transport.write(data)
        except _PORT_ERRORS as exc:
            raise ScaleNotConnected() from exc

    def _reset_input(self) -> None:
        try:
            self._transport.reset_input_buffer()
        except _PORT_ERRORS as exc:
            raise ScaleNotConnected() from exc
