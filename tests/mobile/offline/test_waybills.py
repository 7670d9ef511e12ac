"""The handheld's waybill issuer: a number is never issued twice, across restarts and hard crashes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mobile.offline.waybills import JsonFileBlockStore, WaybillIssuer, WaybillsExhausted
from parcelkit.rules.tracking import is_valid_tracking_no, make_tracking_no, serial_of

ROOT = Path(__file__).parents[3]


def issuer(path: Path) -> WaybillIssuer:
    return WaybillIssuer(JsonFileBlockStore(path))


def test_numbers_come_from_the_blocks_in_order_and_are_valid(tmp_path: Path) -> None:
    w = issuer(tmp_path / "blocks.json")
    w.add_block(block_id=1, first_serial=100, last_serial=101)
    w.add_block(block_id=2, first_serial=500, last_serial=500)
    numbers = [w.issue() for _ in range(3)]
    assert numbers == [make_tracking_no(100), make_tracking_no(101), make_tracking_no(500)]
    assert all(is_valid_tracking_no(n) for n in numbers)


def test_an_exhausted_issuer_says_so(tmp_path: Path) -> None:
    w = issuer(tmp_path / "blocks.json")
    with pytest.raises(WaybillsExhausted, match="no waybill numbers left"):
        w.issue()
    w.add_block(block_id=1, first_serial=7, last_serial=7)
    w.issue()
    with pytest.raises(WaybillsExhausted, match="sync to get a new block"):
        w.issue()
    assert w.remaining() == 0


def test_a_restart_continues_after_the_last_issued_number(tmp_path: Path) -> None:
    path = tmp_path / "blocks.json"
    first = issuer(path)
    first.add_block(block_id=1, first_serial=1000, last_serial=1999)
    before = [first.issue() for _ in range(5)]
    again = issuer(path)  # a new process opening the same file
    after = [again.issue() for _ in range(5)]
    assert len(set(before + after)) == 10
    assert serial_of(after[0]) == serial_of(before[-1]) + 1
    assert again.blocks()[0].issued_serials() == list(range(1000, 1010))


def test_adding_the_same_block_twice_is_a_no_op_and_overlaps_are_refused(tmp_path: Path) -> None:
    w = issuer(tmp_path / "blocks.json")
    w.add_block(block_id=1, first_serial=10, last_serial=19)
    w.issue()
    w.add_block(block_id=1, first_serial=10, last_serial=19)  # a retried sync
    assert w.blocks()[0].next_serial == 11
    with pytest.raises(ValueError, match="overlaps"):
        w.add_block(block_id=2, first_serial=19, last_serial=30)


def test_forgetting_a_closed_block(tmp_path: Path) -> None:
    w = issuer(tmp_path / "blocks.json")
    w.add_block(block_id=1, first_serial=10, last_serial=10)
    w.add_block(block_id=2, first_serial=20, last_serial=29)
    w.forget_block(1)
    assert w.issue() == make_tracking_no(20)


_CHILD = """
import sys
from mobile.offline.waybills import JsonFileBlockStore, WaybillIssuer
w = WaybillIssuer(JsonFileBlockStore(sys.argv[1]))
while True:
    print(w.issue(), flush=True)   # printed = returned by issue() = handed to a courier
"""


def test_a_process_killed_mid_issue_never_causes_a_repeat(tmp_path: Path) -> None:
    """SIGKILL a process issuing numbers as fast as it can (no cleanup runs), several times over."""
    path = tmp_path / "blocks.json"
    issuer(path).add_block(block_id=1, first_serial=1, last_serial=10**6)
    handed_out: list[str] = []
    for _ in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(path)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=os.environ | {"PYTHONPATH": str(ROOT)},
        )
        assert child.stdout is not None
        handed_out.append(child.stdout.readline().strip())  # it is running and issuing
        time.sleep(0.1)
        child.send_signal(signal.SIGKILL)
        handed_out += [line.strip() for line in child.stdout if line.strip()]
        child.wait()
    handed_out += [issuer(path).issue() for _ in range(3)]
    assert len(handed_out) > 10
    assert len(set(handed_out)) == len(handed_out)
    assert JsonFileBlockStore(path).load()[0].next_serial > max(serial_of(n) for n in handed_out)
