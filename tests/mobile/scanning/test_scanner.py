"""The keyboard-wedge buffer: Enter or a pause ends a scan; slow typing and stray keys do not glue on."""

from __future__ import annotations

from mobile.scanning.scanner import WedgeBuffer


def type_code(buffer: WedgeBuffer, code: str, start: float, gap: float = 0.005) -> float:
    at = start
    for ch in code:
        assert buffer.feed(ch, at) is None
        at += gap
    return at


def test_enter_ends_a_scan() -> None:
    buffer = WedgeBuffer()
    at = type_code(buffer, "PR000000012344", 10.0)
    assert buffer.feed("\r", at) == "PR000000012344"
    assert buffer.pending == ""


def test_a_scanner_without_terminator_is_ended_by_the_inter_key_timeout() -> None:
    buffer = WedgeBuffer(timeout_s=0.08)
    at = type_code(buffer, "PR000000012344", 10.0)
    assert buffer.poll(at + 0.05) is None  # still inside the timeout: more keys may come
    assert buffer.poll(at + 0.09) == "PR000000012344"
    assert buffer.poll(at + 1.0) is None


def test_a_stray_key_long_before_the_scan_is_not_glued_onto_the_code() -> None:
    buffer = WedgeBuffer(max_gap_s=0.5)
    buffer.feed("x", 1.0)
    at = type_code(buffer, "PR000000012344", 2.0)
    assert buffer.feed("\n", at) == "PR000000012344"


def test_a_lone_key_press_is_dropped_not_reported_as_a_bad_scan() -> None:
    buffer = WedgeBuffer()
    buffer.feed("7", 1.0)
    assert buffer.feed("\r", 1.01) is None


def test_non_printable_keys_are_ignored() -> None:
    buffer = WedgeBuffer()
    buffer.feed("\x1b", 1.0)
    buffer.feed("shift", 1.0)
    at = type_code(buffer, "ABCD", 1.0)
    assert buffer.feed("\r", at) == "ABCD"


def test_two_scans_back_to_back_stay_apart() -> None:
    buffer = WedgeBuffer()
    at = type_code(buffer, "PR000000012344", 0.0)
    first = buffer.feed("\r", at)
    at = type_code(buffer, "PR000000023390", at + 0.3)
    assert (first, buffer.feed("\r", at)) == ("PR000000012344", "PR000000023390")


def test_a_wedge_scanner_sending_shift_for_capitals_gives_the_number() -> None:
    """Issue 17: Kivy reports the Shift key itself (keycode 304) with the character "İ"; the
    letter then arrives in lower case with the shift modifier."""
    from mobile.scanning.scanner import wedge_char

    events = [(304, "İ", []), (112, "p", ["shift"]), (304, "İ", []), (114, "r", ["shift"])]
    events += [(ord(d), d, []) for d in "000033600032"] + [(13, None, [])]
    buffer, at, done = WedgeBuffer(), 0.0, None
    for keycode, codepoint, mods in events:
        char = wedge_char(keycode, codepoint, mods)
        if char is not None:
            at += 0.01
            done = buffer.feed(char, at) or done
    assert done == "PR000033600032"


def test_control_keys_modifiers_and_non_ascii_are_not_part_of_a_scan() -> None:
    from mobile.scanning.scanner import wedge_char

    assert [
        wedge_char(k, c, []) for k, c in [(301, "ĭ"), (306, "Ĳ"), (27, "\x1b"), (9, "\t"), (0, "门")]
    ] == [None] * 5
    assert wedge_char(97, "a", ["capslock"]) == "A"
    assert wedge_char(97, "a", ["capslock", "shift"]) == "a"
    assert wedge_char(271, None, []) == "\r"
