"""The byte-level parsers, fed the bytes real scales send, cut the ways serial reads cut them."""

import pytest

from mobile.devices.scale_protocol import (
    MAX_LINE,
    Ack,
    Busy,
    CommandError,
    ContinuousParser,
    Garbage,
    LineSplitter,
    MtSicsParser,
    Overload,
    Reading,
    Underload,
    make_parser,
    to_grams,
)


def feed_all(parser: MtSicsParser | ContinuousParser, chunks: list[bytes]) -> list:
    events = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    return events


def one_byte_at_a_time(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


# -- MT-SICS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "event"),
    [
        (b"S S      1.234 kg\r\n", Reading(1234, stable=True)),
        (b"S D      1.230 kg\r\n", Reading(1230, stable=False)),
        (b"S S     -0.012 kg\r\n", Reading(-12, stable=True)),
        (b"S S       1234 g\r\n", Reading(1234, stable=True)),
        (b"S S     1234.6 g\r\n", Reading(1235, stable=True)),
        (b"S S      2.721 lb\r\n", Reading(1234, stable=True)),  # 2.721 lb = 1234.2 g
        (b"S S      1.000 lb\r\n", Reading(454, stable=True)),  # 453.59 g rounds up
        (b"S I\r\n", Busy()),
        (b"S +\r\n", Overload()),
        (b"S -\r\n", Underload()),
        (b"ES\r\n", CommandError("ES")),
        (b"EL\r\n", CommandError("EL")),
        (b"ET\r\n", CommandError("ET")),
        (b"Z A\r\n", Ack("Z", "A")),
        (b"Z I\r\n", Ack("Z", "I")),
        (b"Z +\r\n", Ack("Z", "+")),
        (b"T S      0.100 kg\r\n", Ack("T", "S", 100)),
        (b"T -\r\n", Ack("T", "-")),
    ],
)
def test_mtsics_replies(line: bytes, event: object) -> None:
    assert MtSicsParser().feed(line) == [event]


def test_mtsics_reply_split_byte_by_byte_gives_one_reading_at_the_terminator() -> None:
    parser = MtSicsParser()
    chunks = one_byte_at_a_time(b"S S      1.234 kg\r\n")
    events = [parser.feed(c) for c in chunks]
    assert events[:-2] == [[]] * (len(chunks) - 2)
    assert events[-2] == [Reading(1234, stable=True)]  # CR ends the line
    assert events[-1] == []  # the LF in its own read is not an extra (empty) line


@pytest.mark.parametrize("terminator", [b"\r\n", b"\n", b"\r", b"\n\r"])
def test_any_line_terminator(terminator: bytes) -> None:
    stream = b"S D      1.230 kg" + terminator + b"S S      1.234 kg" + terminator
    assert MtSicsParser().feed(stream) == [Reading(1230, stable=False), Reading(1234, stable=True)]


def test_junk_before_a_line_is_dropped() -> None:
    assert MtSicsParser().feed(b"\x00\xff\xfeS S      1.234 kg\r\n") == [Reading(1234, stable=True)]


def test_junk_inside_a_line_makes_it_garbage_not_a_different_weight() -> None:
    raw = b"S S      1.2\xff4 kg"
    assert MtSicsParser().feed(raw + b"\r\n") == [Garbage(raw)]


@pytest.mark.parametrize(
    "raw", [b"S S      1.234 oz", b"S X      1.234 kg", b"hello", b"S S kg", b"S S      1,234 kg"]
)
def test_unknown_lines_are_garbage(raw: bytes) -> None:
    assert MtSicsParser().feed(raw + b"\n") == [Garbage(raw)]


def test_a_runaway_line_without_terminator_is_cut_off_as_garbage() -> None:
    parser = MtSicsParser()
    events = parser.feed(b"x" * (MAX_LINE + 1))
    assert events == [Garbage(b"x" * (MAX_LINE + 1))]
    assert parser.feed(b"S S      0.500 kg\r\n") == [Reading(500, stable=True)]


def test_a_realistic_session_stream() -> None:
    stream = (
        b"\xff\x00S D      0.512 kg\r\nS D      1.207 kg\r\nS S      1.234 kg\r\n"
        b"S S      1.234 kg\r\nS I\r\nS +\r\nES\r\n"
    )
    chunks = [stream[:5], stream[5:23], stream[23:40], stream[40:]]
    assert feed_all(MtSicsParser(), chunks) == [
        Reading(512, stable=False),
        Reading(1207, stable=False),
        Reading(1234, stable=True),
        Reading(1234, stable=True),
        Busy(),
        Overload(),
        CommandError("ES"),
    ]


# -- continuous output -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "event"),
    [
        (b"ST,GS,+001.234kg\r\n", Reading(1234, stable=True)),
        (b"US,GS,+001.190kg\r\n", Reading(1190, stable=False)),
        (b"ST,NT,+000.250kg\r\n", Reading(250, stable=True, net=True)),
        (b"ST,GS,-000.015kg\r\n", Reading(-15, stable=True)),
        (b"ST,GS,+0001234 g\r\n", Reading(1234, stable=True)),
        (b"ST,GS,+  1234 g\r\n", Reading(1234, stable=True)),
        (b"ST,GS,+002.721lb\r\n", Reading(1234, stable=True)),
        (b"OL,GS,+999.999kg\r\n", Overload()),
        (b"OL,GS,        \r\n", Overload()),
        (b"OL,GS,-999.999kg\r\n", Underload()),
    ],
)
def test_continuous_lines(line: bytes, event: object) -> None:
    assert ContinuousParser().feed(line) == [event]


@pytest.mark.parametrize(
    "raw", [b"ST,XX,+001.234kg", b"ST,GS,+001.234", b"ST,GS,abc", b"001.234kg", b"QQ,GS,+1kg"]
)
def test_continuous_garbage(raw: bytes) -> None:
    assert ContinuousParser().feed(raw + b"\r\n") == [Garbage(raw)]


def test_continuous_stream_joined_across_reads_after_a_mid_line_start() -> None:
    # Opening the port mid-line gives the tail of a line first: garbage, then clean lines.
    stream = b"234kg\r\nUS,GS,+001.190kg\r\nST,GS,+001.234kg\r\nST,GS,+001.234kg\r\n"
    chunks = [stream[i : i + 7] for i in range(0, len(stream), 7)]
    assert feed_all(ContinuousParser(), chunks) == [
        Garbage(b"234kg"),
        Reading(1190, stable=False),
        Reading(1234, stable=True),
        Reading(1234, stable=True),
    ]


# -- helpers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "grams"),
    [
        ("1.234", "kg", 1234),
        ("0.0005", "kg", 1),
        ("0.0004", "kg", 0),
        ("12", "g", 12),
        ("2.2046", "lb", 1000),
    ],
)
def test_to_grams_rounds_half_up(value: str, unit: str, grams: int) -> None:
    assert to_grams(value, unit) == grams


def test_splitter_keeps_a_partial_line_until_its_end_arrives() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"ST,GS,+0") == []
    assert splitter.feed(b"01.234kg\r") == [b"ST,GS,+001.234kg"]


def test_unknown_protocol_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scale protocol"):
        make_parser("sics")
