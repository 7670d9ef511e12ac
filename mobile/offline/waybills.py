"""Issuing tracking numbers offline from the waybill blocks the server gave this handheld.

The one promise: a number is never issued twice, not even across a crash or a restart. So the next
serial is made durable *before* a number is handed out. A crash between the two loses that number
(it is void, which the server learns when the block is closed), and that is the cheap side to err
on: two parcels with one number would be a real mess at the sorting centre.

Persistence is an interface (``BlockStore``): the SQLite store (``mobile/offline/store.py``) will implement
it; ``JsonFileBlockStore`` is the file version (write a temp file, fsync, rename, fsync the folder).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Protocol

from parcelkit.rules.tracking import MAX_SERIAL, make_tracking_no


class WaybillsExhausted(Exception):
    def __init__(self) -> None:
        super().__init__("no waybill numbers left on this handheld: sync to get a new block")


@dataclass(frozen=True)
class Block:
    """Serials ``first_serial..last_serial`` (inclusive) of server block ``block_id``; ``next_serial``
    is the first one not yet issued (``last_serial + 1`` when the block is used up)."""

    block_id: int
    first_serial: int
    last_serial: int
    next_serial: int

    @property
    def remaining(self) -> int:
        return self.last_serial - self.next_serial + 1

    def issued_serials(self) -> list[int]:
        """What to report as used when closing the block (numbers lost in a crash included: they are void)."""
        return list(range(self.first_serial, self.next_serial))


class BlockStore(Protocol):
    def load(self) -> list[Block]: ...

    def save(self, blocks: list[Block]) -> None:
        """Durably replace the stored blocks; must not return before the data would survive a power cut."""
        ...


class JsonFileBlockStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def load(self) -> list[Block]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        return [Block(**row) for row in raw["blocks"]]

    def save(self, blocks: list[Block]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"blocks": [asdict(b) for b in blocks]}).encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            # rename is atomic: a reader sees the old file or the new one, never half of one.
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        # The rename itself lives in the directory entry; without this fsync a power cut can undo it.
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


class WaybillIssuer:
    """Hands out tracking numbers from the stored blocks, oldest block first."""

    def __init__(self, store: BlockStore) -> None:
        self._store = store
        self._lock = threading.Lock()  # the UI thread and the sync thread may both touch blocks

    def add_block(self, *, block_id: int, first_serial: int, last_serial: int) -> None:
        """Store a block the server allocated (``POST /api/v1/waybill-blocks``); adding it again is a no-op."""
        if not 0 < first_serial <= last_serial <= MAX_SERIAL:
            raise ValueError(f"bad block {first_serial}..{last_serial}")
        with self._lock:
            blocks = self._store.load()
            if any(b.block_id == block_id for b in blocks):
                return
            for b in blocks:
                if first_serial <= b.last_serial and b.first_serial <= last_serial:
                    raise ValueError(f"block {block_id} overlaps block {b.block_id}")
            self._store.save([*blocks, Block(block_id, first_serial, last_serial, first_serial)])

    def issue(self) -> str:
        """The next unused tracking number; raises WaybillsExhausted when every block is used up."""
        with self._lock:
            blocks = self._store.load()
            for i, block in enumerate(blocks):
                if block.remaining > 0:
                    serial = block.next_serial
                    blocks[i] = replace(block, next_serial=serial + 1)
                    self._store.save(blocks)  # durable first, then the number leaves this function
                    return make_tracking_no(serial)
            raise WaybillsExhausted()

    def remaining(self) -> int:
        return sum(b.remaining for b in self._store.load())

    def blocks(self) -> list[Block]:
        return self._store.load()

    def forget_block(self, block_id: int) -> None:
        """After the server confirmed the close of a block (its used serials were reported)."""
        with self._lock:
            self._store.save([b for b in self._store.load() if b.block_id != block_id])
