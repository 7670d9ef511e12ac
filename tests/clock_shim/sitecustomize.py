"""Test-only: put this directory on PYTHONPATH and a Python child of the suite runs at the suite's
shifted clock (tests/clock.py exports the offset). Nothing in backend/ or mobile/ reads it."""

import os

_offset_ns = os.environ.get("PARCELRUN_TEST_CLOCK_OFFSET_NS")
if _offset_ns:
    import time

    import time_machine

    # Kept referenced for the life of the process; tick=True so the child's clock runs on.
    _traveller = time_machine.travel((time.time_ns() + int(_offset_ns)) / 1e9, tick=True)
    _traveller.start()
