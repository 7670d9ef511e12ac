"""Byte-level parsers for scale protocols: feed bytes in, get events out. No I/O, no clock.

Two protocols are understood:

* MT-SICS (Mettler Toledo), request/response: ``S`` / ``SI`` answer ``S S      1.234 kg`` (stable) or
  ``S D      1.230 kg`` (dynamic); ``S I`` busy, ``S +`` overload, ``S -`` underload; ``Z`` answers
  ``Z A``; ``T`` answers ``T S      0.100 kg``; ``ES`` / ``EL`` / ``ET`` are syntax, logic and transmission errors.
* Continuous output (the common ``ST,GS,+001.234kg`` stream): ``ST`` stable, ``US`` unstable,
  ``OL`` overload; ``GS`` gross, ``NT`` net.

Serial reads cut lines anywhere, terminators vary (CR, LF, CRLF, even CR and LF in different reads), and
a scale being plugged in or set to the wrong baud rate sends junk bytes. So the splitter accepts any
terminator, drops junk bytes in front of a line, and reports lines it cannot parse as ``Garbage`` instead of
failing. A non-printable byte *inside* a line makes it garbage: a dropped or replaced digit must never
become a plausible weight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

GRAMS_PER_UNIT = {"kg": Decimal(1000), "g": Decimal(1), "lb": Decimal("453.59237")}

# A line longer than this without a terminator is noise (or the wrong protocol); drop it to bound memory.
MAX_LINE = 128


@dataclass(frozen=True)
class Reading:
    grams: int
    stable: bool
    net: bool = False


@dataclass(frozen=True)
class Overload:
    pass


@dataclass(frozen=True)
class Underload:
    pass


@dataclass(frozen=True)
class Busy:
    """MT-SICS ``S I``: the scale is executing another command; ask again."""


@dataclass(frozen=True)
class CommandError:
    """MT-SICS ``ES`` (syntax), ``EL`` (logic) or ``ET`` (transmission)."""

    code: str


@dataclass(frozen=True)
class Ack:
    """Reply to zero (``Z A``/``Z I``/``Z +``/``Z -``) or tare (``T S <value>``/``T I``/``T +``/``T -``)."""

    command: str
    status: str
    grams: int | None = None


@dataclass(frozen=True)
class Garbage:
    raw: bytes


ScaleEvent = Reading | Overload | Underload | Busy | CommandError | Ack | Garbage


def to_grams(value: str, unit: str) -> int:
    """Convert a displayed value to whole grams, half up (lb has no exact gram value)."""
    grams = Decimal(value) * GRAMS_PER_UNIT[unit]
    return int(grams.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class LineSplitter:
    """Reassembles lines across reads; any of CR, LF, CRLF ends a line and empty lines are skipped."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        lines: list[bytes] = []
        for byte in data:
            if byte in (0x0D, 0x0A):
                if self._buf:
                    lines.append(bytes(self._buf))
                    self._buf.clear()
            else:
                self._buf.append(byte)
                if len(self._buf) > MAX_LINE:
                    lines.append(bytes(self._buf))
                    self._buf.clear()
        return lines


def _text(raw: bytes) -> str | None:
    """The line as text after junk in front of it, or None when it has junk inside."""
    start = 0
    while start < len(raw) and not 0x20 <= raw[start] < 0x7F:
        start += 1
    body = raw[start:]
    if any(not 0x20 <= b < 0x7F for b in body):
        return None
    return body.decode("ascii").strip()


_SICS_WEIGHT = re.compile(r"^(S|T) ([SD]) +(-?[0-9]+(?:\.[0-9]+)?) +(kg|g|lb)$")
_SICS_STATUS = re.compile(r"^(S|Z|T) ([AI+-])$")
_SICS_ERROR = re.compile(r"^E([SLT])$")
_CONT_LINE = re.compile(r"^(ST|US|OL),(GS|NT),(.*)$")
_CONT_VALUE = re.compile(r"^([+-]) *([0-9]+(?:\.[0-9]*)?) *(kg|g|lb)$")


def parse_mtsics_line(raw: bytes) -> ScaleEvent:
    text = _text(raw)
    if text is None:
        return Garbage(raw)
    if m := _SICS_WEIGHT.match(text):
        command, status, value, unit = m.groups()
        grams = to_grams(value, unit)
        if command == "T":
            return Ack("T", "S", grams)
        return Reading(grams, stable=status == "S")
    if m := _SICS_STATUS.match(text):
        command, status = m.groups()
        if command == "S":
            states: dict[str, ScaleEvent] = {"I": Busy(), "+": Overload(), "-": Underload()}
            return states.get(status, Garbage(raw))
        return Ack(command, status)
    if m := _SICS_ERROR.match(text):
        return CommandError("E" + m.group(1))
    return Garbage(raw)


def parse_continuous_line(raw: bytes) -> ScaleEvent:
    text = _text(raw)
    m = _CONT_LINE.match(text) if text is not None else None
    if not m:
        return Garbage(raw)
    state, kind, rest = m.groups()
    if state == "OL":
        # Indicators fill the value with 9s or letters when out of range; only the sign still means something.
        return Underload() if rest.lstrip().startswith("-") else Overload()
    value = _CONT_VALUE.match(rest.strip())
    if not value:
        return Garbage(raw)
    sign, number, unit = value.groups()
    grams = to_grams(number, unit)
    return Reading(-grams if sign == "-" else grams, stable=state == "ST", net=kind == "NT")


class MtSicsParser:
    def __init__(self) -> None:
        self._lines = LineSplitter()

    def feed(self, data: bytes) -> list[ScaleEvent]:
        return [parse_mtsics_line(line) for line in self._lines.feed(data)]


class ContinuousParser:
    def __init__(self) -> None:
        self._lines = LineSplitter()

    def feed(self, data: bytes) -> list[ScaleEvent]:
        return [parse_continuous_line(line) for line in self._lines.feed(data)]


def make_parser(protocol: str) -> MtSicsParser | ContinuousParser:
    if protocol == "mtsics":
        return MtSicsParser()
    if protocol == "continuous":
        return ContinuousParser()
    raise ValueError(f"unknown scale protocol {protocol!r}; expected 'mtsics' or 'continuous'")
