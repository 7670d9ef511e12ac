"""The app's core in a process of its own, driven part-way through a flow, then held to be killed.

    python -m tests.mobile.core.kill_child DATA_DIR FLOW JOB_ID [TRACKING_NO]

FLOW is deliver, fail or pickup. The courier's session is resumed from DATA_DIR (the test logged
in there first); the network is down, as at a door with no signal. Each step prints ``step <name>``
once its draft is written; after the last one the process prints ``holding`` and waits for the
SIGKILL the test sends (tests/mobile/core/test_kill_mid_flow.py). Plain Python: no Django here.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mobile.core import Config, Core
from mobile.offline.sync import Reply, TransportError

JPEG = b"\xff\xd8\xff\xe0" + b"photo" * 50
CONTENTS = b"\xff\xd8\xff\xe0" + b"contents" * 40


class NoSignal:
    def request(self, method: str, path: str, **kwargs: Any) -> Reply:
        raise TransportError("no signal")


def deliver(core: Core, job_id: int, tracking_no: str) -> list[tuple[str, Callable[[], Any]]]:
    flow = core.begin_delivery(job_id, scanned=tracking_no)
    return [
        ("photo", lambda: flow.add_photo(JPEG, "image/jpeg")),
        ("relation", lambda: flow.choose_relation("family")),
        ("name", lambda: flow.set_recipient_name("李梅")),
    ]


def fail(core: Core, job_id: int, _tracking_no: str) -> list[tuple[str, Callable[[], Any]]]:
    flow = core.begin_fail(job_id)
    return [
        ("reason", lambda: flow.choose_reason("no_such_person")),
        ("photo", lambda: flow.add_photo(JPEG, "image/jpeg")),
        ("call", lambda: flow.log_call("no_answer", 0)),
        ("note", lambda: flow.set_note("门卫说没这个人")),
    ]


def pickup(core: Core, job_id: int, _tracking_no: str) -> list[tuple[str, Callable[[], Any]]]:
    flow = core.begin_pickup(job_id)
    real_name = {"sender_id_type": "resident_id", "sender_id_last4": "123X", "sender_real_name": "张三"}
    return [
        ("start", flow.start),  # no scale on this handheld: the weight is keyed in
        ("weight", lambda: flow.submit(weight_g=2500, reason="秤没电")),
        ("dimensions", lambda: flow.submit(length_mm=300, width_mm=200, height_mm=100, pieces=1)),
        ("contents_photo", lambda: flow.add_contents_photo(CONTENTS, "image/jpeg")),
        (
            "inspection",
            lambda: flow.submit(prohibited_items_absent=True, declared_value_fen=1500_00, **real_name),
        ),
        ("quote", lambda: flow.submit(payment_method="wechat")),  # the waybill number is taken here
    ]


FLOWS = {"deliver": deliver, "fail": fail, "pickup": pickup}


def main(argv: list[str]) -> int:
    data_dir, name, job_id = Path(argv[0]), argv[1], int(argv[2])
    tracking_no = argv[3] if len(argv) > 3 else ""
    core = Core(Config(data_dir=data_dir, pbkdf2_iterations=1000), connect=lambda _token: NoSignal())
    if not core.resume():
        print("no session", flush=True)
        return 2
    for step, run in FLOWS[name](core, job_id, tracking_no):
        run()
        print(f"step {step}", flush=True)
    print("holding", flush=True)
    while True:  # killed here, mid-flow: nothing is closed, finished or flushed by this process
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
