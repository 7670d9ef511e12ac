"""UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Plain Python.

Op ids are minted on the handheld, offline; time-ordered ids keep the server's unique index
append-mostly (random UUIDv4 keys scatter inserts across the whole B-tree).
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7(now_ms: int | None = None) -> uuid.UUID:
    """A new UUIDv7; ids minted in one process are strictly increasing (12-bit counter per ms)."""
    global _last_ms, _counter
    with _lock:
        ms = int(time.time() * 1000) if now_ms is None else now_ms
        if ms <= _last_ms:
            ms = _last_ms
            _counter += 1
            if _counter > 0xFFF:  # 4,096 ids in one millisecond: borrow the next millisecond
                ms += 1
                _counter = 0
        else:
            _counter = 0
        _last_ms = ms
        rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
        value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | _counter << 64 | 0b10 << 62 | rand
    return uuid.UUID(int=value)
