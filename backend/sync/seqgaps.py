"""Holes in a device's sequence numbers. Pure code.

A handheld numbers its ops 1, 2, 3… in the order they were recorded. The server keeps the highest
number seen and the ranges below it never received; a hole that stays open means ops were lost on
the device (a wiped or restored phone) and is reported to the device and kept on DeviceState.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_RANGES = 200  # beyond this the oldest holes are forgotten (a device that lost that much is re-enrolled)


def record_seqs(max_seq: int, gaps: list[list[int]], seqs: Iterable[int]) -> tuple[int, list[list[int]]]:
    """Return the new ``(max_seq, gaps)`` after receiving ``seqs``; ``gaps`` are inclusive ranges."""
    ranges = [list(r) for r in gaps]
    for s in sorted(set(seqs)):
        if s > max_seq:
            if s > max_seq + 1:
                ranges.append([max_seq + 1, s - 1])
            max_seq = s
            continue
        for i, (first, last) in enumerate(ranges):
            if first <= s <= last:
                pieces = [[first, s - 1]] if s > first else []
                if s < last:
                    pieces.append([s + 1, last])
                ranges[i : i + 1] = pieces
                break
    return max_seq, ranges[-MAX_RANGES:]
