"""The sync engine: push the outbox in order, upload attachments, pull changes. Plain Python.

The transport is injected (HTTP in the app, see transport.py; a fake in tests). Every network
failure or 5xx ends the round; ``run`` retries with exponential backoff and full jitter, so a
fleet of handhelds coming back from a dead zone does not hit the server in lock step. All progress
is in the store, so a restart resumes exactly where the last answered request left off.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from mobile.offline import outbox
from mobile.offline.local_state import apply_changes
from mobile.offline.store import Store

CHUNK = 256 * 1024


class TransportError(Exception):
    """The request may or may not have reached the server (timeout, reset, 5xx): safe to retry."""


class AuthError(Exception):
    """401/403 on the device token: the courier must log in again; retrying will not help."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any


class Transport(Protocol):
    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        data: bytes | None = None,
    ) -> Reply: ...


@dataclass
class SyncReport:
    pushed: int = 0
    rejected: int = 0
    pulled: int = 0
    uploaded: int = 0
    gaps: list[list[int]] = field(default_factory=list)


class SyncEngine:
    def __init__(
        self,
        store: Store,
        transport: Transport,
        *,
        batch_size: int = 100,
        base_delay_s: float = 0.5,
        max_delay_s: float = 60.0,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.transport = transport
        self.batch_size = batch_size
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.rng = rng or random.Random()
        self.sleep = sleep
        self.clock = clock

    # status for the screens ----------------------------------------------------------------------
    @property
    def pending_count(self) -> int:
        return outbox.pending_count(self.store)

    @property
    def last_sync_at(self) -> float | None:
        value = self.store.meta("last_sync_at")
        return None if value is None else float(value)

    # one round -----------------------------------------------------------------------------------
    def sync_once(self) -> SyncReport:
        report = SyncReport()
        self._push(report)
        self._upload(report)
        self._pull(report)
        with self.store.tx():
            self.store.set_meta("last_sync_at", repr(self.clock()))
        return report

    def run(self, *, max_attempts: int = 8) -> SyncReport:
        """Sync until a round succeeds, backing off between failures; re-raises after ``max_attempts``."""
        for attempt in range(max_attempts):
            try:
                return self.sync_once()
            except TransportError:
                if attempt == max_attempts - 1:
                    raise
                self.sleep(self.delay(attempt))
        raise AssertionError("unreachable")

    def delay(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base·2^attempt)]."""
        return self.rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2**attempt))

    def _call(self, method: str, path: str, **kwargs: Any) -> Reply:
        reply = self.transport.request(method, path, **kwargs)
        if reply.status in (401, 403) and not (
            isinstance(reply.body, dict) and reply.body.get("code") in ("wrong_device", "permission_denied")
        ):
            raise AuthError(str(reply.body))
        if reply.status >= 500 or reply.status in (408, 429):
            raise TransportError(f"{method} {path}: HTTP {reply.status}")
        return reply

    def _push(self, report: SyncReport) -> None:
        size = self.batch_size
        # Only what was recorded before the round began: a courier scanning every few hundred
        # milliseconds would otherwise keep this loop pushing one-op batches for ever over a slow
        # link, and the round would never reach the photos or the pull (bench/sync_shaped.py).
        # What is recorded meanwhile goes in the next round.
        up_to = outbox.last_seq(self.store)
        while True:
            ops = outbox.queued(self.store, size, up_to)
            if not ops:
                return
            body = {
                "ops": [o.wire(self.store.device_id) for o in ops],
                "sent_at": datetime.fromtimestamp(self.clock(), UTC).isoformat(),  # the one injected clock
            }
            reply = self._call("POST", "/api/v1/sync/push", json_body=body)
            if reply.status != 200:
                # The whole request was refused (too large, unparseable): split it down to the bad op,
                # which is then kept as rejected with the server's reason.
                if size > 1:
                    size = max(1, size // 2)
                    continue
                error = reply.body if isinstance(reply.body, dict) else {}
                outbox.reject_locally(
                    self.store,
                    ops[0].op_id,
                    str(error.get("code", f"http_{reply.status}")),
                    str(error.get("message", "the server refused this action")),
                )
                report.rejected += 1
                continue
            results = reply.body["results"]
            report.gaps = reply.body.get("device", {}).get("gaps", [])
            if outbox.record_results(self.store, results, now=self.clock()) == 0:
                raise TransportError("the server answered none of the ops; retrying later")
            report.pushed += sum(1 for r in results if r.get("outcome") in ("applied", "duplicate"))
            report.rejected += sum(1 for r in results if r.get("outcome") == "rejected")

    def _upload(self, report: SyncReport) -> None:
        for sha, content_type, data in self.store.attachments_to_upload():
            if len(data) <= CHUNK:  # announce and send in one request
                reply = self._call(
                    "PUT",
                    f"/api/v1/sync/attachments/{sha}/chunks",
                    params={"offset": 0, "size": len(data), "content_type": content_type},
                    data=data,
                )
            else:
                reply = self._call(
                    "POST",
                    "/api/v1/sync/attachments",
                    json_body={"sha256": sha, "size": len(data), "content_type": content_type},
                )
            if _resume_at(reply) is not None:
                reply = Reply(200, {"received": _resume_at(reply), "complete": False})
            if reply.status != 200:
                continue  # refused (type, size): the op that names it shows the proof as incomplete
            offset = int(reply.body["received"])
            complete = bool(reply.body["complete"])
            while not complete:
                reply = self._call(
                    "PUT",
                    f"/api/v1/sync/attachments/{sha}/chunks",
                    params={"offset": offset},
                    data=data[offset : offset + CHUNK],
                )
                resume = _resume_at(reply)
                if resume is not None:
                    offset = resume
                    continue
                if reply.status != 200:
                    break  # 422: the server discarded a corrupt upload; start again next round
                offset, complete = int(reply.body["received"]), bool(reply.body["complete"])
            if complete:
                assert hashlib.sha256(data).hexdigest() == sha
                self.store.mark_uploaded(sha)
                report.uploaded += 1

    def _pull(self, report: SyncReport) -> None:
        started = self.clock()
        while True:
            params: dict[str, Any] = {"limit": 500}
            cursor = self.store.meta("cursor")
            if cursor is not None:
                params["cursor"] = cursor
            refs = ",".join(f"{k}:{v}" for k, v in sorted(self.store.reference_versions().items()))
            if refs:
                params["refs"] = refs
            reply = self._call("GET", "/api/v1/sync/pull", params=params)
            if reply.status != 200:
                raise TransportError(f"pull refused: HTTP {reply.status} {reply.body}")
            page = reply.body
            with self.store.tx():  # the page and its cursor commit together: a crash replays it at worst
                apply_changes(self.store, page["changes"])
                for name, ref in page["reference"].items():
                    self.store.put_reference(name, ref["version"], ref["data"])
                self.store.set_meta("cursor", str(page["cursor"]))
            report.pulled += len(page["changes"])
            if not page["more"]:
                break
        outbox.settle(self.store, started)


def _resume_at(reply: Reply) -> int | None:
    """The offset a 409 ``attachment_offset_mismatch`` asks to resume from; None for any other answer
    (a refusal such as the 413 quota is skipped until the next round)."""
    details = reply.body.get("details") if reply.status == 409 and isinstance(reply.body, dict) else None
    offset = details.get("expected_offset") if isinstance(details, dict) else None
    return int(offset) if isinstance(offset, int) else None
