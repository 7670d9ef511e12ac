"""A handheld process that records one action and dies by SIGKILL (run by bench/sync_sim.py).

    python -m bench.handheld_kill STORE DEVICE_ID KIND JOB_ID POINT OUT

POINT ``mid_record``: killed inside the recording transaction, after the outbox row was written and
before the local view was (``outbox.append`` writes both in one SQLite transaction): nothing may
survive, on the handheld or the server. POINT ``after_record``: killed right after the action
committed: the op must reach the server. The op id is written to OUT (fsynced) before dying.
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime


def _note(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def main() -> None:
    store_path, device_id, kind, job_id, point, out = sys.argv[1:7]
    from mobile.actions import Actions
    from mobile.offline import outbox
    from mobile.offline.store import Store

    store = Store(store_path, device_id=device_id)
    at = datetime.now(UTC)
    if point == "mid_record":

        def die_between(st: Store, *args: object) -> None:
            row = st.db.execute("SELECT op_id FROM outbox ORDER BY seq DESC LIMIT 1").fetchone()
            _note(out, f"{row[0]} {at.isoformat()}")
            os.kill(os.getpid(), signal.SIGKILL)

        outbox.rebuild = die_between  # type: ignore[assignment]
    actions = Actions(store, clock=lambda: at)
    if kind == "call_log":
        op_id = actions.record_call(int(job_id), 30, "answered")
    else:
        op_id = getattr(actions, f"record_{kind}")(int(job_id), where={"lat": 30.25, "lng": 120.15})
    _note(out, f"{op_id} {at.isoformat()}")
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main()
